"""All tables, imported here so Alembic and tests see one metadata (``SQLModel.metadata``)."""

from mrasla_app.models.accounts import Delegation, Role, RoleMembership, User, UserSession
from mrasla_app.models.audit import AuditEvent, AuditHead
from mrasla_app.models.batches import BatchLetter, BatchStatus, LetterStatus, ScanBatch
from mrasla_app.models.correspondence import (
    Channel, ConfidentialAccess, Correspondence, CorrespondenceLink, Direction, Dispatch, DispatchPurpose, Document,
    DocumentKind, Holiday, LinkKind, Note, Priority, RegistryCounter, Status, TrackingCode,
)
from mrasla_app.models.contacts import Contact
from mrasla_app.models.directory import Administration, AdministrationKind, Party, PartyKind, Unit, UnitLevel
from mrasla_app.models.jobs import JobRun
from mrasla_app.models.letters import LetterDraft
from mrasla_app.models.signin import IdentityProvider, ProviderKind, ProviderRoleRule
from mrasla_app.models.mailboxes import Mailbox, MailMessage
from mrasla_app.models.notifications import Notification, NotificationStatus
from mrasla_app.models.preferences import NotificationPreference, PushSubscription
from mrasla_app.models.webhooks import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from mrasla_app.models.records import (
    CorrespondenceTag, CustomField, CustomFieldValue, Disposal, DisposalKind, DisposalStatus, DocumentType, FieldKind,
    FilePlanNode, FinalAction, RecordInfo, RetentionStart, Tag,
)
from mrasla_app.models.texts import DocumentText, TextSource, TextStatus
from mrasla_app.models.workflow import (
    CircuitTemplate, CompletionMode, Decision, DocumentRole, Folder, FolderAnnotation, FolderDocument, FolderStatus,
    FolderStep, KeySource, SigningKey, StepAction, StepKind, StepParticipant, StepStatus,
)

__all__ = [
    "JobRun", "LetterDraft", "BatchLetter", "BatchStatus", "LetterStatus", "ScanBatch",
    "NotificationPreference", "PushSubscription",
    "DeliveryStatus", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
    "IdentityProvider", "ProviderKind", "ProviderRoleRule",
    "CorrespondenceTag", "CustomField", "CustomFieldValue", "Disposal", "DisposalKind", "DisposalStatus", "DocumentType",
    "FieldKind", "FilePlanNode", "FinalAction", "RecordInfo", "RetentionStart", "Tag",
    "DocumentText", "TextSource", "TextStatus",
    "Contact", "Mailbox", "MailMessage",
    "Channel", "ConfidentialAccess", "Correspondence", "CorrespondenceLink", "Dispatch", "DispatchPurpose", "Holiday",
    "LinkKind", "Note", "Direction", "Document", "DocumentKind", "Notification", "NotificationStatus",
    "Priority", "RegistryCounter", "Status", "TrackingCode",
    "Administration", "AdministrationKind", "AuditEvent", "AuditHead", "Delegation", "Party",
    "PartyKind", "Role", "RoleMembership", "Unit", "UnitLevel", "User", "UserSession",
    "CircuitTemplate", "CompletionMode", "Decision", "DocumentRole", "Folder", "FolderAnnotation", "FolderDocument",
    "FolderStatus", "FolderStep", "KeySource", "SigningKey", "StepAction", "StepKind", "StepParticipant", "StepStatus",
]
