"""All routes, listed explicitly."""

from django.contrib import admin
from django.urls import include, path

from paperwire.api.api import api

urlpatterns = [
    path("", include("paperwire.papers.urls")),
    path("", include("paperwire.search.urls")),
    path("", include("paperwire.community.urls")),
    path("", include("paperwire.digests.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler404 = "paperwire.papers.views.not_found"
handler500 = "paperwire.papers.views.server_error"
