from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("special/", views.SpecialInspectionReport.as_view(), name="special"),
    path("assessment/", views.AssessmentReport.as_view(), name="assessment"),
    path("rectification/", views.RectificationReport.as_view(), name="rectification"),
]
