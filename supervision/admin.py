"""The admin of supervision: the letter templates the city edits (checked for template syntax on
save), and the reviews, letters and number sequences, read-only (their changes are the pages'
services: a decision moves a case, a letter's states are a record)."""
from django import forms
from django.contrib import admin
from django.template import Template, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import Letter, LetterSequence, LetterTemplate, Review, ReviewItem


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["kind", "title", "body"]
        help_texts = {"body": _("Django 模板语法：可用 {{ department.name }}、{{ city }}、{{ today }}，"
                                "{% for case in cases %}{{ case.number }} {{ case.address }}{% endfor %}")}

    def clean(self):
        cleaned = super().clean()
        for name in ("title", "body"):
            try:
                Template(cleaned.get(name) or "")
            except TemplateSyntaxError as error:
                self.add_error(name, _("模板语法有误：%(error)s") % {"error": error})
        return cleaned


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    form = LetterTemplateForm
    list_display = ["kind", "title", "updated_at"]


class ReviewItemInline(admin.TabularInline):
    model = ReviewItem
    fields = ["case", "reason", "outcome", "department", "deadline", "decision_note", "confirmed_by", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "title", "region", "status", "concluded_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    list_select_related = ["region"]
    inlines = [ReviewItemInline]


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "title", "department", "status", "sent_at", "reply_deadline", "signed_off_at"]
    list_filter = ["kind", "status", "year"]
    search_fields = ["title", "number"]
    list_select_related = ["department"]
    exclude = ["cases"]


@admin.register(LetterSequence)
class LetterSequenceAdmin(ReadOnlyAdmin):
    list_display = ["year", "kind", "last"]
