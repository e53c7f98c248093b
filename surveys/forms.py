"""The form that makes a survey (the command center's page)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.dates import DateField
from grids.models import MinorClass, Role, User


class SurveyForm(forms.Form):
    name = forms.CharField(label=_("普查名称"), max_length=100)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    minors = forms.ModelMultipleChoiceField(label=_("普查小类"), required=False,
                                            queryset=MinorClass.objects.filter(is_active=True).order_by("code"),
                                            widget=forms.SelectMultiple(attrs={"size": 6}))
    grids = forms.MultipleChoiceField(label=_("单元网格"), widget=forms.CheckboxSelectMultiple)
    collectors = forms.ModelMultipleChoiceField(
        label=_("监督员"), queryset=User.objects.filter(role=Role.COLLECTOR, is_active=True).order_by("username"),
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grids"].choices = [(str(grid.pk), f"{grid.code} {grid.community.name}") for grid in grids]
