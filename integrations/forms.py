from __future__ import annotations

from typing import Any

from django import forms

from integrations.models import Channel
from metrics.connectors import outbound
from projects.notifications import CHANNEL_EVENT_LABELS

URL_HELP = {
    Channel.Kind.SLACK: "Slack: an incoming webhook's address (https://hooks.slack.com/services/…).",
    Channel.Kind.TEAMS: "Teams: the address of a workflow that posts a webhook request to a channel.",
    Channel.Kind.WEBHOOK: "Any system: Runway posts signed JSON to this address.",
}
SPEND_HELP = (
    "Budget alerts then carry the month's forecast and budget. Only the project's "
    "owner can change this."
)


def _spend_field(form: forms.Form, *, may_set_spend: bool, spend_option: bool) -> None:
    """Spend figures are a project owner's decision: the option is disabled (it keeps
    its initial value whatever is posted) for anyone else, and absent for a team's
    channel, which never carries them."""
    if not spend_option:
        del form.fields["include_spend"]
    else:
        form.fields["include_spend"].disabled = not may_set_spend


def _events_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=list(CHANNEL_EVENT_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=list(CHANNEL_EVENT_LABELS),
        label="Events",
        error_messages={"required": "Choose at least one kind of event."},
    )


class SecretURLInput(forms.URLInput):
    """Never renders the value: the address is a credential, so a form sent back with
    errors leaves it empty."""

    def format_value(self, value: Any) -> str | None:
        return None


class ChannelForm(forms.Form):
    PASTE_AGAIN = "Paste the webhook address again: it is not sent back to the page."

    kind = forms.ChoiceField(choices=Channel.Kind.choices, label="Kind")
    name = forms.CharField(
        max_length=120,
        help_text="How the channel is listed here, e.g. “#copilot-alerts”.",
    )
    url = forms.URLField(
        max_length=1000,
        assume_scheme="https",
        label="Webhook address",
        widget=SecretURLInput,
        help_text=" ".join(URL_HELP.values())
        + " It is stored encrypted and never shown again.",
    )
    events = _events_field()
    include_spend = forms.BooleanField(
        required=False, label="Include spend figures", help_text=SPEND_HELP
    )

    def __init__(
        self,
        *args: Any,
        may_set_spend: bool,
        spend_option: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _spend_field(self, may_set_spend=may_set_spend, spend_option=spend_option)

    def clean_url(self) -> str:
        """The address rules of connected services: https, and no private or loopback
        host unless an admin allow-listed it. Checked again at every delivery, since a
        name may resolve elsewhere later."""
        url: str = self.cleaned_data["url"]
        if refusal := outbound.url_refusal(url):
            raise forms.ValidationError(refusal)
        return url


class ChannelSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    events = _events_field()
    include_spend = forms.BooleanField(
        required=False, label="Include spend figures", help_text=SPEND_HELP
    )

    def __init__(
        self,
        *args: Any,
        may_set_spend: bool,
        spend_option: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _spend_field(self, may_set_spend=may_set_spend, spend_option=spend_option)

    @staticmethod
    def initial_of(channel: Channel) -> dict[str, Any]:
        return {
            "name": channel.name,
            "events": channel.events,
            "include_spend": channel.include_spend,
        }
