"""The small forms behind each action button of the case page, and the case search form.

A form only checks what the person typed and turns it into the arguments of the workflow function
(cases.workflow.ACTIONS[action]); whether the move is allowed is the workflow's job.
"""
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import DateField, DateTimeField
from core.text import text_clean
from grids.models import User

from .models import Case, Source, State, Urgency
from .selectors import cases_visible
from .transitions import TRANSITIONS

# A class select the picker enhances (citygrid/static/citygrid/js/class_picker.js, with the rows of
# the page's json_script "class-picker-data", cases/templates/cases/_class_picker.html); without
# JavaScript it stays the plain select.
CLASS_PICKER_ATTRS = {"data-class-picker": "class-picker-data"}


class ActionForm(forms.Form):
    """The note every action carries; required (as the reason) when the table says so."""

    note = forms.CharField(label=_("说明"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, action: str, case: Case, user: User, choices: dict | None = None, **kwargs):
        self.action, self.case, self.user = action, case, user
        self.choices = choices or {}
        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        if TRANSITIONS[action].needs_reason:
            self.fields["note"].required = True
            self.fields["note"].label = _("理由")
            self.fields["note"].error_messages["required"] = _("请填写理由。")
        self.setup()
        # The action's own fields first, the note (or reason) last.
        self.order_fields([name for name in self.fields if name != "note"] + ["note"])

    def setup(self) -> None:
        """Subclasses add their fields here (they know the case and the person)."""

    def clean_note(self) -> str:
        return text_clean(self.cleaned_data.get("note", ""))

    def arguments(self) -> dict:
        return {"note": self.cleaned_data.get("note", "")}

    def photos(self) -> list:
        """The photos sent with the move (the form's file input, `<action>-photos`)."""
        return self.files.getlist(f"{self.prefix}-photos") if self.files else []


class VerifyForm(ActionForm):
    is_true = forms.TypedChoiceField(
        label=_("核实结果"), choices=[("1", _("属实")), ("0", _("不属实"))], widget=forms.RadioSelect,
        coerce=lambda value: value == "1", error_messages={"required": _("请选择核实结果。")},
    )

    def arguments(self) -> dict:
        return {**super().arguments(), "is_true": self.cleaned_data["is_true"]}


class FileForm(ActionForm):
    minor = forms.TypedChoiceField(label=_("小类"), coerce=int, widget=forms.Select(attrs=CLASS_PICKER_ATTRS))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices)
    filing_condition = forms.CharField(label=_("立案条件"), required=False, max_length=500)

    def setup(self) -> None:
        self.fields["minor"].choices = self.choices.get("minors", [])
        self.fields["minor"].initial = self.case.minor_id
        # The picker fills 立案条件 with the first condition of the class picked (class_picker.js).
        self.fields["minor"].widget.attrs["data-filing-input"] = self["filing_condition"].auto_id
        self.fields["urgency"].initial = self.case.urgency
        conditions = [line.strip() for line in (self.case.minor.filing_conditions or "").splitlines() if line.strip()]
        self.filing_conditions = conditions
        if conditions:
            self.fields["filing_condition"].initial = conditions[0]

    def arguments(self) -> dict:
        return {**super().arguments(), "minor_id": self.cleaned_data["minor"],
                "urgency": self.cleaned_data["urgency"], "filing_condition": self.cleaned_data["filing_condition"]}


class DispatchForm(ActionForm):
    department = forms.TypedChoiceField(label=_("处置部门"), coerce=int,
                                        error_messages={"required": _("请选择处置部门。")})
    def setup(self) -> None:
        self.fields["department"].choices = [("", _("— 请选择 —")), *self.choices.get("departments", [])]
        self.fields["department"].initial = self.case.suggested_department_id or ""

    def arguments(self) -> dict:
        return {**super().arguments(), "department_id": self.cleaned_data["department"]}


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes of grouped choices, each group a fieldset with its legend, in columns, under a box
    that filters them by name (citygrid/js/app.js, data-check-filter)."""

    template_name = "cases/widgets/grouped_checkboxes.html"


class JointDispatchForm(DispatchForm):
    """联合派遣: the lead department (主办) and one or more assisting departments (协办), ticked
    among the departments grouped by level and district (selectors.pages.department_choice_groups)."""

    assisting = forms.TypedMultipleChoiceField(
        label=_("协办部门"), coerce=int, widget=GroupedCheckboxes(),
        error_messages={"required": _("请选择至少一个协办部门。")})

    def setup(self) -> None:
        super().setup()
        self.fields["department"].label = _("主办部门")
        self.fields["assisting"].choices = self.choices.get("department_groups") or self.choices.get("departments", [])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("department") in (cleaned.get("assisting") or []):
            self.add_error("assisting", _("主办部门不能同时是协办部门。"))
        return cleaned

    def arguments(self) -> dict:
        return {**super().arguments(), "assisting_department_ids": self.cleaned_data["assisting"]}


class RedispatchForm(DispatchForm):
    """改派: another department, not the one the case is with."""

    def setup(self) -> None:
        self.fields["department"].label = _("改派至")
        self.fields["department"].choices = [("", _("— 请选择 —")), *(
            (pk, name) for pk, name in self.choices.get("departments", []) if pk != self.case.department_id)]


class ReturnForm(ActionForm):
    """回退: a reason from the city's list (ReturnReason) and the explanation."""

    reason_code = forms.ChoiceField(label=_("回退原因"), error_messages={"required": _("请选择回退原因。")})

    def setup(self) -> None:
        self.fields["reason_code"].choices = [("", _("— 请选择 —")), *self.choices.get("return_reasons", [])]
        self.fields["note"].label = _("回退说明")

    def arguments(self) -> dict:
        return {**super().arguments(), "reason_code": self.cleaned_data["reason_code"]}


class MergeForm(ActionForm):
    into_number = forms.CharField(label=_("合并到案件编号"), max_length=16)

    def setup(self) -> None:
        if self.case.duplicate_of_id and self.case.duplicate_of:
            self.fields["into_number"].initial = self.case.duplicate_of.number

    def clean_into_number(self) -> int:
        number = self.cleaned_data["into_number"].strip()
        into = cases_visible(self.user).filter(number=number).values_list("pk", flat=True).first()
        if into is None:
            raise forms.ValidationError(_("找不到案件 %(number)s，或它不在您的管辖范围内。") % {"number": number})
        return into

    def arguments(self) -> dict:
        return {**super().arguments(), "into_case_id": self.cleaned_data["into_number"]}


class ExtensionForm(ActionForm):
    requested_deadline = DateTimeField(
        label=_("申请延期至"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("请填写申请的延期时限。"), "invalid": _("时间格式应为 年-月-日 时:分。")},
    )

    def arguments(self) -> dict:
        return {**super().arguments(), "requested_deadline": self.cleaned_data["requested_deadline"]}


class SuspensionForm(ActionForm):
    """申请挂账: the reason and the day the case resumes by itself (the workflow checks the range)."""

    until = DateField(label=_("挂账至（当日自动恢复处置）"), widget=forms.DateInput(attrs={"type": "date"}),
                      error_messages={"required": _("请填写挂账至哪一天。"), "invalid": _("日期格式应为 年-月-日。")})

    def arguments(self) -> dict:
        return {**super().arguments(), "until": self.cleaned_data["until"]}


class SuspensionApprovalForm(ActionForm):
    """批准挂账: the department's date, which the shift leader may change."""

    until = DateField(label=_("挂账至（当日自动恢复处置）"), required=False,
                      widget=forms.DateInput(attrs={"type": "date"}),
                      error_messages={"invalid": _("日期格式应为 年-月-日。")})

    def setup(self) -> None:
        pending = [r for r in getattr(self.case, "detail_requests", [])
                   if r.kind == "suspension" and r.status == "pending" and r.requested_deadline]
        if pending:
            self.fields["until"].initial = timezone.localtime(pending[-1].requested_deadline).date().isoformat()

    def arguments(self) -> dict:
        until = self.cleaned_data.get("until")
        return {**super().arguments(), **({"until": until} if until else {})}


class HandledForm(ActionForm):
    """处置反馈: the result, with the after-photos (whether they are required is the service's rule,
    cases.services.case_move, the same for the API and the field app)."""

    def setup(self) -> None:
        self.fields["note"].label = _("处置结果")
        self.fields["note"].required = True
        self.fields["note"].error_messages["required"] = _("请填写处置结果。")


# The page forms by the name a row of the transition table gives (Transition.form).
FORMS: dict[str, type[ActionForm]] = {
    form.__name__: form for form in (ActionForm, VerifyForm, FileForm, DispatchForm, JointDispatchForm,
                                     RedispatchForm, ReturnForm, MergeForm, ExtensionForm, HandledForm,
                                     SuspensionForm, SuspensionApprovalForm)
}


def action_form(action: str, *, case: Case, user: User, data=None, files=None, choices: dict | None = None
                ) -> ActionForm:
    """The form of `action` for this case (bound when data is given)."""
    form_class = FORMS[TRANSITIONS[action].form]
    return form_class(data, files, action=action, case=case, user=user, choices=choices)


class SearchForm(forms.Form):
    """The search page's fields; the filtering itself is cases.api.filters.CaseFilter."""

    number = forms.CharField(label=_("案件编号"), required=False, max_length=16)
    q = forms.CharField(label=_("描述或地址"), required=False, max_length=100)
    minor_code = forms.CharField(label=_("小类代码"), required=False, max_length=5)
    unit_grid = forms.CharField(label=_("单元网格"), required=False, max_length=15)
    # Ticked boxes, not a <select multiple> that needs Ctrl to pick a second value.
    source = forms.MultipleChoiceField(label=_("来源"), required=False, choices=Source.choices,
                                       widget=forms.CheckboxSelectMultiple)
    state = forms.MultipleChoiceField(label=_("状态"), required=False, choices=State.choices,
                                      widget=forms.CheckboxSelectMultiple)
    district = forms.TypedChoiceField(label=_("区/县"), required=False, coerce=int, empty_value=None)
    street = forms.TypedChoiceField(label=_("街道"), required=False, coerce=int, empty_value=None)
    department = forms.TypedChoiceField(label=_("处置部门"), required=False, coerce=int, empty_value=None)
    reported_from = DateField(label=_("上报日期自"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    reported_to = DateField(label=_("上报日期至"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.ChoiceField(label=_("超时"), required=False,
                                choices=[("", _("全部")), ("true", _("仅超时")), ("false", _("未超时"))])

    def __init__(self, *args, districts=(), streets=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["district"].choices = everything + list(districts)
        self.fields["street"].choices = everything + list(streets)
        self.fields["department"].choices = everything + list(departments)


class ReportForm(forms.Form):
    """受理登记: a report taken by a seat operator (a call, a media item, a leader's instruction...).
    The place is a point, or a unit grid code whose centre is used."""

    source = forms.ChoiceField(label=_("来源"), choices=Source.choices, initial=Source.HOTLINE_12319)
    minor = forms.TypedChoiceField(label=_("小类"), coerce=int, error_messages={"required": _("请选择小类。")},
                                   widget=forms.Select(attrs=CLASS_PICKER_ATTRS))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    description = forms.CharField(label=_("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": _("请填写问题描述。")})
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    unit_grid = forms.CharField(label=_("单元网格代码"), required=False, max_length=15,
                                help_text=_("不知道经纬度时填写，取网格中心点。"))
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    component_code = forms.CharField(label=_("部件标识码"), required=False, max_length=17)
    reporter_name = forms.CharField(label=_("联系人"), required=False, max_length=64)
    reporter_phone = forms.CharField(label=_("联系电话"), required=False, max_length=32)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, minors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["minor"].choices = [("", _("— 请选择 —")), *minors]

    def clean(self):
        cleaned = super().clean()
        has_point = cleaned.get("lon") is not None and cleaned.get("lat") is not None
        if not has_point and not cleaned.get("unit_grid"):
            raise forms.ValidationError(_("请填写经纬度，或填写单元网格代码。"))
        if not has_point:
            from grids.models import UnitGrid

            grid = UnitGrid.objects.filter(code=cleaned["unit_grid"].strip()).values_list(
                "center_lon", "center_lat").first()
            if grid is None:
                self.add_error("unit_grid", _("单元网格 %(code)s 不存在。") % {"code": cleaned["unit_grid"]})
            else:
                cleaned["lon"], cleaned["lat"] = grid
        return cleaned
