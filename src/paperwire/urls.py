"""All routes, listed explicitly."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from paperwire.api.api import api
from paperwire.community.accounts import admin_login

urlpatterns = [
    path("", include("paperwire.papers.urls")),
    path("", include("paperwire.search.urls")),
    path("", include("paperwire.community.urls")),
    path("", include("paperwire.digests.urls")),
    path("", include("paperwire.recommend.urls")),
    path("", include("paperwire.userdata.urls")),
    path("api/", api.urls),
    # Before the admin's own routes: its login under the site's login limits.
    path("admin/login/", admin_login, name="admin_login_limited"),
    path("admin/", admin.site.urls),
]

# The staff pages name the site they run ("Django administration" named the framework).
admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = f"{settings.SITE_NAME} admin"
admin.site.index_title = "Moderation and site data"

handler404 = "paperwire.papers.views.not_found"
handler500 = "paperwire.papers.views.server_error"
