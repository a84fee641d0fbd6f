"""Editing pages of the designs library (see ``edit_views``).

Included by ``designs/urls.py`` inside the ``designs`` namespace, before ``<slug>/``: the fixed
words below (``new``, ``import``, ``fork``, ``builds``) must win over a design's address.
"""

from django.urls import path

from reproduce.designs import edit_views as views

urlpatterns = [
    path("new/", views.create, name="create"),
    path("import/", views.import_okh, name="import_okh"),
    path("fork/", views.fork, name="fork"),
    path("builds/new/", views.build_add, name="build_add"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/drafts/new/", views.draft_start, name="draft_start"),
    path("versions/<int:version_id>/edit/", views.version_edit, name="version_edit"),
    path("versions/<int:version_id>/release/", views.release, name="release"),
    path("versions/<int:version_id>/obsolete/", views.obsolete, name="obsolete"),
    path("versions/<int:version_id>/files/new/", views.file_add, name="file_add"),
    path("files/<int:file_id>/edit/", views.file_edit, name="file_edit"),
    path("files/<int:file_id>/remove/", views.file_remove, name="file_remove"),
    path("versions/<int:version_id>/bom/new/", views.bom_add, name="bom_add"),
    path("bom/<int:line_id>/edit/", views.bom_line_edit, name="bom_line_edit"),
    path("bom/<int:line_id>/remove/", views.bom_line_remove, name="bom_line_remove"),
    path("versions/<int:version_id>/operations/", views.routing, name="routing"),
    path("versions/<int:version_id>/operations/new/", views.operation_add, name="operation_add"),
    path("operations/<int:operation_id>/edit/", views.operation_edit, name="operation_edit"),
    path("operations/<int:operation_id>/remove/", views.operation_remove, name="operation_remove"),
    path("operations/<int:operation_id>/move/", views.operation_move, name="operation_move"),
    path("operations/<int:operation_id>/steps/new/", views.step_add, name="step_add"),
    path("steps/<int:step_id>/edit/", views.step_edit, name="step_edit"),
    path("steps/<int:step_id>/remove/", views.step_remove, name="step_remove"),
    path("versions/<int:version_id>/qc/new/", views.qc_add, name="qc_add"),
    path("qc/<int:criterion_id>/edit/", views.qc_edit, name="qc_edit"),
    path("qc/<int:criterion_id>/remove/", views.qc_remove, name="qc_remove"),
    path("versions/<int:version_id>/dfm/", views.dfm, name="dfm"),
]
