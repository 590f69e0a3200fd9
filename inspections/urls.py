from django.urls import path

from . import semester_views, views

app_name = "inspections"

urlpatterns = [
    path("special/", views.SpecialInspectionReport.as_view(), name="special"),
    path("assessment/", views.AssessmentReport.as_view(), name="assessment"),
    path("rectification/", views.RectificationReport.as_view(), name="rectification"),
    path("semester/", semester_views.SemesterComplianceReport.as_view(), name="semester"),
    path("semester/list/", semester_views.SemesterComplianceList.as_view(), name="semester_list"),
]
