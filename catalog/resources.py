"""The admin's Import and Export buttons (django-import-export's) driven by the workbook engine.

``WorkbookAdminMixin`` keeps django-import-export's buttons and URLs on a changelist but
does the work with ``catalog.importing`` / ``catalog.exporting``, so that the admin and the
``import_catalog`` / ``export_catalog`` commands behave the same. An upload is first
previewed (a dry run: new / changed / unchanged rows and the changed cells, or every
problem of the file); confirming runs the import. Files above
``CATALOG_IMPORT_ASYNC_BYTES`` run as a Celery job; the job page shows a progress bar fed by
a small JSON status view.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from catalog import jobs, tasks
from catalog.exporting import catalog_export, catalog_template
from workbooks.forms import WorkbookFileField

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WorkbookUploadForm(forms.Form):
    file = WorkbookFileField(label=_("workbook (.xlsx)"))
    # Off unless ticked: a mistyped path is reported with the nearest existing ones instead
    # of quietly growing the tree.
    create_categories = forms.BooleanField(
        label=_("create missing categories"), required=False, initial=False
    )


class WorkbookExportForm(forms.Form):
    format = forms.ChoiceField(label=_("format"), choices=[("xlsx", "xlsx")], initial="xlsx")
    headers = forms.ChoiceField(
        label=_("headers"), choices=[("en", _("English")), ("zh", _("Chinese"))], initial="en"
    )


class WorkbookAdminMixin(ImportExportMixin):
    """Import / export one catalogue sheet (``workbook_kind``) from a changelist."""

    workbook_kind = "products"
    upload_form = WorkbookUploadForm

    def workbook_export(self, *, target, can, language: str) -> int:
        """Write this changelist's sheet for a reader holding ``can``'s permissions."""
        return catalog_export(target=target, kind=self.workbook_kind, can=can, language=language)

    def workbook_template(self, *, target, language: str) -> None:
        catalog_template(target=target, kind=self.workbook_kind, language=language)

    def has_import_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}") and (
            request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_urls(self):
        info = self.get_model_info()
        urls = [
            path(
                "import/template/",
                self.admin_site.admin_view(self.template_action),
                name="{}_{}_import_template".format(*info),
            ),
            path(
                "import/<str:job_id>/",
                self.admin_site.admin_view(self.import_job_view),
                name="{}_{}_import_job".format(*info),
            ),
            path(
                "import/<str:job_id>/status/",
                self.admin_site.admin_view(self.import_status_view),
                name="{}_{}_import_status".format(*info),
            ),
        ]
        return urls + super().get_urls()

    def _name(self, view: str) -> str:
        return "admin:{}_{}_{}".format(*self.get_model_info(), view)

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "kind": self.workbook_kind,
            **extra,
        }

    def _start(self, request, job_id: str):
        if jobs.job_is_large(job_id):
            tasks.import_workbook.delay(job_id)
        else:
            jobs.job_run(job_id)
        return redirect(reverse(self._name("import_job"), args=[job_id]))

    # Import: upload → preview (dry run) → confirm → result ------------------------------

    def import_action(self, request, *args, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.upload_form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job_id = jobs.job_create(
                content=form.cleaned_data["file"],
                kind=self.workbook_kind,
                dry_run=True,
                create_categories=form.cleaned_data.get("create_categories", False),
                user=request.user,
            )
            return self._start(request, job_id)
        context = self._context(
            request,
            form=form,
            title=_("Import %(name)s") % {"name": self.opts.verbose_name_plural},
            template_url=reverse(self._name("import_template")),
        )
        return TemplateResponse(request, "catalog/workbook_import.html", context)

    def process_import(self, request, *args, **kwargs):
        """Run for real the import a preview showed."""
        if not self.has_import_permission(request) or request.method != "POST":
            raise PermissionDenied
        preview = self._own_job(request, request.POST.get("job", ""))
        if not preview["dry_run"] or preview["status"] != "done":
            raise PermissionDenied
        if preview.get("confirmed_as"):  # a second click on the same preview
            return redirect(reverse(self._name("import_job"), args=[preview["confirmed_as"]]))
        return self._start(request, jobs.job_confirm(preview_id=preview["id"], user=request.user))

    def _own_job(self, request, job_id: str) -> dict:
        job = jobs.job_get(job_id)
        if job is None or job["kind"] != self.workbook_kind:
            raise Http404
        if job["user_id"] != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        return job

    def import_job_view(self, request, job_id):
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = self._own_job(request, job_id)
        context = self._context(
            request,
            job=job,
            title=_("Import preview") if job["dry_run"] else _("Import"),
            status_url=reverse(self._name("import_status"), args=[job_id]),
            confirm_url=reverse(self._name("process_import")),
            changelist_url=reverse(self._name("changelist")),
        )
        return TemplateResponse(request, "catalog/workbook_job.html", context)

    def import_status_view(self, request, job_id):
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = self._own_job(request, job_id)
        return JsonResponse(
            {key: job.get(key) for key in ("status", "progress", "stage", "message")}
        )

    # Export and template ----------------------------------------------------------------

    def export_action(self, request, *args, **kwargs):
        if not self.has_export_permission(request):
            raise PermissionDenied
        # Headers in the reader's language unless they choose otherwise.
        language = "zh" if (get_language() or "").startswith("zh") else "en"
        form = WorkbookExportForm(request.POST or None, initial={"headers": language})
        if request.method == "POST" and form.is_valid():
            response = HttpResponse(content_type=XLSX)
            self.workbook_export(
                target=response, can=request.user.has_perm, language=form.cleaned_data["headers"]
            )
            filename = f"jingxi-{self.workbook_kind}.xlsx"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        context = self._context(
            request,
            form=form,
            title=_("Export %(name)s") % {"name": self.opts.verbose_name_plural},
        )
        return TemplateResponse(request, "catalog/workbook_export.html", context)

    def template_action(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(content_type=XLSX)
        language = "zh" if request.GET.get("headers") == "zh" else "en"
        self.workbook_template(target=response, language=language)
        filename = f"jingxi-{self.workbook_kind}-template.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
