from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from paperwire.community import (
    accounts,
    collection_feeds,
    library_views,
    notification_views,
    tokens_views,
    views,
)
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
        accounts.PasswordResetConfirmView.as_view(),
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
        accounts.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "settings/password/done",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("u/<str:username>", accounts.profile_page, name="profile"),
    path("orgs", views.organizations, name="organizations"),
    path("orgs/<str:name>", views.organization_page, name="organization"),
    path("authors/<int:pk>", views.author_page, name="author"),
    path("authors/<int:pk>-<slug:slug>", views.author_slug_redirect, name="author_slug"),
    path("authors/<int:pk>/claim", views.author_claim, name="author_claim"),
    path("trending", views.trending, name="trending"),
    path("submit", views.submit, name="submit"),
    re_path(rf"^papers/{PAPER_ID}/upvote$", views.upvote, name="upvote"),
    re_path(rf"^papers/{PAPER_ID}/comments$", views.comment_create, name="comment_create"),
    re_path(rf"^papers/{PAPER_ID}/save$", library_views.save, name="save"),
    re_path(
        rf"^papers/{PAPER_ID}/collections$",
        library_views.paper_collections,
        name="paper_collections",
    ),
    re_path(rf"^library/read/{PAPER_ID}$", library_views.mark_read, name="mark_read"),
    path("library", library_views.library_page, name="library"),
    path("collections/new", library_views.collection_create, name="collection_create"),
    path("collections/add", library_views.collection_add, name="collection_add"),
    path("collections/<int:pk>", library_views.collection_page, name="collection"),
    path("collections/<int:pk>/edit", library_views.collection_edit, name="collection_edit"),
    path("collections/<int:pk>/delete", library_views.collection_delete, name="collection_delete"),
    re_path(
        rf"^collections/(?P<pk>[0-9]+)/items/{PAPER_ID}$",
        library_views.collection_item,
        name="collection_item",
    ),
    # The Hub's address of a collection, owner/title-words-<n> (huggingface_hub's
    # Collection.url): redirected to /collections/<n>.
    re_path(
        r"^collections/(?P<slug>[^/]+/[^/]+-[0-9]+)$",
        library_views.collection_by_slug,
        name="collection_by_slug",
    ),
    path(
        "collections/<int:pk>.rss",
        collection_feeds.CollectionFeed(),
        name="feed_collection_rss",
    ),
    path(
        "collections/<int:pk>.atom",
        collection_feeds.CollectionFeedAtom(),
        name="feed_collection_atom",
    ),
    path("notifications", notification_views.notification_list, name="notifications"),
    path("notifications/read", notification_views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>", notification_views.notification_open, name="notification_open"),
    path(
        "notifications/mail-off/<str:token>",
        notification_views.reply_mail_off,
        name="reply_mail_off",
    ),
    path(
        "settings/notifications", notification_views.reply_mail_setting, name="reply_mail_setting"
    ),
    path("settings/tokens", tokens_views.tokens_create, name="token_create"),
    path("settings/tokens/<int:pk>/revoke", tokens_views.token_revoke, name="token_revoke"),
    path("comments/<int:pk>/edit", views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/delete", views.comment_delete, name="comment_delete"),
    path("comments/<int:pk>/report", views.comment_report, name="comment_report"),
]
