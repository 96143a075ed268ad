from django.urls import path

from paperwire.userdata import email_change, views

urlpatterns = [
    path("settings/my-data.json", views.export_my_data, name="export_my_data"),
    path("settings/delete-account", views.delete_my_account, name="delete_account"),
    path("settings/email", email_change.change_email, name="email_change"),
    path("settings/email/sent", email_change.change_email_sent, name="email_change_sent"),
    path("settings/email/cancel", email_change.cancel_email_change, name="email_change_cancel"),
    path("settings/email/changed", email_change.email_changed, name="email_changed"),
    path(
        "settings/email/confirm/<str:token>",
        email_change.confirm_email_change,
        name="email_change_confirm",
    ),
]
