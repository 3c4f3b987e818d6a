"""The one write of the audit pack: recording who made it (the pack itself is a read)."""

from __future__ import annotations

import logging

from portal.models import AuditPackDownload, AuditPackKind, User
from projects.models import Project

log = logging.getLogger("runway.security")


def audit_pack_record(
    *, project: Project, user: User, kind: AuditPackKind, evidence_files: int = 0
) -> AuditPackDownload:
    record = AuditPackDownload.objects.create(
        project=project, made_by=user, kind=kind, evidence_files=evidence_files
    )
    log.info(
        "audit pack made",
        extra={
            "event": "audit_pack.made",
            "user_id": user.pk,
            "project": project.slug,
            "kind": str(kind),
            "evidence_files": evidence_files,
        },
    )
    return record
