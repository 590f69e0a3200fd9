from django.urls import path

from . import arrangement_views, views

app_name = "pairings"

urlpatterns = [
    path("coverage/", views.CoverageReport.as_view(), name="coverage"),
    path("warnings/", views.WarningsReport.as_view(), name="warnings"),
    path("late-agreements/", views.LateAgreementsReport.as_view(), name="late_agreements"),
    path("late-work-plans/", views.LateWorkPlansReport.as_view(), name="late_work_plans"),
    path("arrangement/districts/", arrangement_views.DistrictArrangementView.as_view(), name="arrangement_districts"),
    path(
        "arrangement/high-schools/",
        arrangement_views.HighSchoolArrangementView.as_view(),
        name="arrangement_high_schools",
    ),
    path("arrangement/special/", arrangement_views.SpecialArrangementView.as_view(), name="arrangement_special"),
    path(
        "arrangement/preschool-county-township/",
        arrangement_views.PreschoolCountyTownshipView.as_view(),
        name="arrangement_preschool_county_township",
    ),
    path(
        "arrangement/preschool-township-village/",
        arrangement_views.PreschoolTownshipVillageView.as_view(),
        name="arrangement_preschool_township_village",
    ),
    path(
        "arrangement/compulsory/", arrangement_views.CompulsoryArrangementView.as_view(), name="arrangement_compulsory"
    ),
]
