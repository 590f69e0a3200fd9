from django.urls import path

from . import case_views

app_name = "cases"

urlpatterns = [
    path("", case_views.CasesView.as_view(), name="list"),
    path("<int:pk>/", case_views.CaseView.as_view(), name="detail"),
]
