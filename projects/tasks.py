from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from projects.models import Notification


@shared_task(
    name="projects.send_notification_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_email(notification_id: int) -> bool:
    """Email one notification, once: a redelivered task finds it already sent."""
    notification = (
        Notification.objects.select_related("user")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    link = (
        settings.RUNWAY_BASE_URL.rstrip("/") + notification.url
        if notification.url
        else ""
    )
    send_mail(
        subject=f"[Runway] {notification.message}",
        message=f"{notification.message}\n\n{link}\n\nChoose which notifications come by email: "
        f"{settings.RUNWAY_BASE_URL.rstrip('/')}/notifications/",
        from_email=None,
        recipient_list=[notification.user.email],
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True
