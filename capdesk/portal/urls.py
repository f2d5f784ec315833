from django.urls import path

from capdesk.portal import copy_views, views, waiting_views

app_name = "portal"
urlpatterns = [
    path("", views.request_list, name="requests"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("magic/<str:token>/", views.magic, name="magic"),
    path("sso/dashboard/", views.dashboard_sign_in, name="dashboard_sign_in"),
    path("language/", views.set_language, name="language"),
    path("premium/", views.premium, name="premium"),
    path("email-again/", views.email_again, name="email_again"),
    path("waiting/", waiting_views.waiting_list, name="waiting"),
    path("waiting/<int:pk>/confirm/", waiting_views.waiting_confirm, name="waiting_confirm"),
    path("waiting/<int:pk>/reject/", waiting_views.waiting_reject, name="waiting_reject"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<str:reference>/", views.request_detail, name="request_detail"),
    path("requests/<str:reference>/reply/", views.request_reply, name="request_reply"),
    path("requests/<str:reference>/copied/", copy_views.request_copy, name="request_copy"),
    path("requests/<str:reference>/copied/remove/", copy_views.request_uncopy, name="request_uncopy"),
    path(
        "requests/<str:reference>/attachments/<int:attachment_id>/",
        views.request_attachment,
        name="request_attachment",
    ),
]
