"""Directory sign-in: an administration's staff sign in with its LDAP / Active Directory or its
OpenID Connect provider; accounts are created on first sign-in and follow the directory after."""
