from django.urls import path

from paperwire.userdata import views

urlpatterns = [
    path("settings/my-data.json", views.export_my_data, name="export_my_data"),
    path("settings/delete-account", views.delete_my_account, name="delete_account"),
]
