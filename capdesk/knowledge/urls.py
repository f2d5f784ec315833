from django.urls import path

from capdesk.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.index, name="index"),
    path("suggest.json", views.suggest, name="suggest"),
    path("draft/<int:pk>/", views.draft_from_message, name="draft_from_message"),
    path("<slug:slug>/", views.article, name="article"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/translations/<str:language>/", views.translate, name="translate"),
]
