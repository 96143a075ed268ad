from django.urls import path, re_path

from paperwire.papers import views

# Public ids are arXiv ids (including old-style ones with a slash) or short ids.
PAPER_ID = r"(?P<paper_id>[A-Za-z0-9][A-Za-z0-9.\-]*(?:/[0-9]{7})?)"

urlpatterns = [
    path("", views.daily, name="daily"),
    path("week/<str:week>", views.weekly, name="weekly"),
    path("month/<str:month>", views.monthly, name="monthly"),
    path("about", views.about, name="about"),
    path("favicon.ico", views.favicon, name="favicon"),
    re_path(rf"^papers/{PAPER_ID}\.md$", views.paper_md, name="paper_md"),
    re_path(rf"^papers/{PAPER_ID}$", views.paper_page, name="paper"),
]
