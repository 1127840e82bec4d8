"""Users, roles and rights: who may see and change what (issue: users, roles and rights)."""
