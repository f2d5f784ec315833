from django.urls import path

from capdesk.intake import views

app_name = "intake"
urlpatterns = [
    path("<str:token>/", views.confirm, name="confirm"),
]
