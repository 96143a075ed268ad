from django.urls import path

from paperwire.recommend import feeds, views

urlpatterns = [
    path("for-you", views.for_you_page, name="for_you"),
    # Personal feeds: never served from the page cache.
    path("feeds/for-you/<str:token>.rss", feeds.ForYouFeed(), name="feed_for_you_rss"),
    path("feeds/for-you/<str:token>.atom", feeds.ForYouFeedAtom(), name="feed_for_you_atom"),
]
