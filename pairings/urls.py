from django.urls import path

from . import views

app_name = "pairings"

urlpatterns = [
    path("coverage/", views.CoverageReport.as_view(), name="coverage"),
    path("warnings/", views.WarningsReport.as_view(), name="warnings"),
    path("late-agreements/", views.LateAgreementsReport.as_view(), name="late_agreements"),
    path("late-work-plans/", views.LateWorkPlansReport.as_view(), name="late_work_plans"),
]
