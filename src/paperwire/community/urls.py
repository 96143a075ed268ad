from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from paperwire.community import accounts, views
from paperwire.papers.urls import PAPER_ID

urlpatterns = [
    path("signup", accounts.signup, name="signup"),
    path("signup/sent", accounts.signup_sent, name="signup_sent"),
    path("verify/<str:token>", accounts.verify_email, name="verify_email"),
    path("login", accounts.LoginView.as_view(), name="login"),
    path("logout", accounts.LogoutView.as_view(), name="logout"),
    path("password-reset", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("settings", accounts.settings_page, name="settings"),
    path(
        "settings/password",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "settings/password/done",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("u/<str:username>", accounts.profile_page, name="profile"),
    path("orgs/<str:name>", views.organization_page, name="organization"),
    path("authors/<int:pk>", views.author_page, name="author"),
    path("authors/<int:pk>-<slug:slug>", views.author_page, name="author_slug"),
    path("authors/<int:pk>/claim", views.author_claim, name="author_claim"),
    path("trending", views.trending, name="trending"),
    path("submit", views.submit, name="submit"),
    re_path(rf"^papers/{PAPER_ID}/upvote$", views.upvote, name="upvote"),
    re_path(rf"^papers/{PAPER_ID}/comments$", views.comment_create, name="comment_create"),
    path("comments/<int:pk>/edit", views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/delete", views.comment_delete, name="comment_delete"),
    path("comments/<int:pk>/report", views.comment_report, name="comment_report"),
]
