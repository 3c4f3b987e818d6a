"""Invitation links: one-time tokens, like a password reset but never interchangeable with one."""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    # The token hashes the password and last login, so it stops working the
    # moment the invitee sets a password: it can be used once.
    key_salt = "runway.portal.invitation"


invitation_tokens = InvitationTokenGenerator()
