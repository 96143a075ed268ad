from django.urls import path

from paperwire.digests import feeds, views
from paperwire.papers.cache import versioned_page

urlpatterns = [
    path("feeds/daily.rss", versioned_page(feeds.DailyFeed()), name="feed_daily_rss"),
    path("feeds/daily.atom", versioned_page(feeds.DailyFeedAtom()), name="feed_daily_atom"),
    path("feeds/trending.rss", versioned_page(feeds.TrendingFeed()), name="feed_trending_rss"),
    path(
        "feeds/trending.atom", versioned_page(feeds.TrendingFeedAtom()), name="feed_trending_atom"
    ),
    path(
        "feeds/category/<str:category>.rss",
        versioned_page(feeds.CategoryFeed()),
        name="feed_category_rss",
    ),
    path(
        "feeds/category/<str:category>.atom",
        versioned_page(feeds.CategoryFeedAtom()),
        name="feed_category_atom",
    ),
    path("feeds/org/<str:name>.rss", versioned_page(feeds.OrganizationFeed()), name="feed_org_rss"),
    path(
        "feeds/org/<str:name>.atom",
        versioned_page(feeds.OrganizationFeedAtom()),
        name="feed_org_atom",
    ),
    path(
        "feeds/author/<int:author_id>.rss",
        versioned_page(feeds.AuthorFeed()),
        name="feed_author_rss",
    ),
    path(
        "feeds/author/<int:author_id>.atom",
        versioned_page(feeds.AuthorFeedAtom()),
        name="feed_author_atom",
    ),
]

urlpatterns += [
    path("subscribe", views.subscribe, name="digest_subscribe"),
    path("feeds/search.rss", versioned_page(feeds.SearchFeed()), name="feed_search_rss"),
    path("feeds/search.atom", versioned_page(feeds.SearchFeedAtom()), name="feed_search_atom"),
    path("digests/confirm/<str:token>", views.confirm, name="digest_confirm"),
    path("digests/manage/<str:token>", views.manage, name="digest_manage"),
    path("digests/unsubscribe/<str:token>", views.unsubscribe, name="digest_unsubscribe"),
    path("digests/preview", views.preview, name="digest_preview"),
    # Personal feeds change with the subscriber's topics: never served from the page cache.
    path(
        "feeds/subscription/<str:token>.rss",
        feeds.SubscriptionFeed(),
        name="feed_subscription_rss",
    ),
    path(
        "feeds/subscription/<str:token>.atom",
        feeds.SubscriptionFeedAtom(),
        name="feed_subscription_atom",
    ),
]
