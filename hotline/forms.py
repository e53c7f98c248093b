"""Forms of the hotline pages: logging a call (with the class picker), a reply to the citizen, a
callback result, and the public status lookup. They validate shapes; hotline.services decides."""
from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import CLASS_PICKER_ATTRS
from cases.models import Urgency
from cases.selectors.class_picker import edition_active
from core.dates import DateTimeField

from .models import CallKind, Channel, FeedbackChannel, FeedbackKind, Satisfaction
from .service_codes import services_active


def class_choices() -> list:
    """Active classes grouped by major class (edition and kind in the group label), the active
    edition's first; the class picker enhances the select (cases.selectors.class_picker)."""
    active = edition_active()
    groups: dict[str, list] = {}
    for minor in sorted(services_active(), key=lambda minor: minor.edition != active):
        label = f"{minor.get_kind_display()} · {minor.major.code} {minor.major.name}（{minor.edition}）"
        groups.setdefault(label, []).append((minor.pk, f"{minor.code} {minor.name}"))
    return [("", _("— 选择问题分类 —")), *groups.items()]


class CallForm(forms.Form):
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices, initial=Channel.HOTLINE_12319)
    kind = forms.ChoiceField(label=_("诉求类型"), choices=CallKind.choices, initial=CallKind.REPORT)
    phone = forms.CharField(label=_("来电号码"), max_length=32)
    caller_name = forms.CharField(label=_("来电人称呼"), max_length=64, required=False)
    content = forms.CharField(label=_("来电内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    minor_id = forms.TypedChoiceField(label=_("问题分类"), coerce=int, required=False, empty_value=None,
                                      widget=forms.Select(attrs=CLASS_PICKER_ATTRS))
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    case_number = forms.CharField(label=_("案件编号"), max_length=16, required=False,
                                  help_text=_("来电人提供编号时填写：反映问题则并入该案件，查询则关联该案件"))
    transfer_number = forms.CharField(label=_("12345工单号"), max_length=40, required=False)
    transfer_deadline = DateTimeField(label=_("12345办理时限"), required=False,
                                            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    answer = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000,
                             required=False)
    client_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["minor_id"].choices = class_choices()


class FeedbackForm(forms.Form):
    channel = forms.ChoiceField(label=_("答复方式"), choices=FeedbackChannel.choices, initial=FeedbackChannel.PHONE)
    kind = forms.ChoiceField(label=_("答复类型"), choices=FeedbackKind.choices, initial=FeedbackKind.RESULT)
    message = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CallbackForm(forms.Form):
    reached = forms.TypedChoiceField(label=_("是否接通"), coerce=lambda value: value == "yes",
                                     choices=[("yes", _("已接通")), ("no", _("未接通"))], initial="yes")
    satisfaction = forms.ChoiceField(label=_("满意度"), choices=[("", "—"), *Satisfaction.choices], required=False)
    comment = forms.CharField(label=_("市民意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              max_length=2000)
    reopen = forms.BooleanField(label=_("不满意，退回重新处置（返工）"), required=False)


class StatusLookupForm(forms.Form):
    number = forms.CharField(label=_("案件编号"), max_length=16)
