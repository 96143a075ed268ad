from django.contrib import admin
from django.http import HttpRequest

from paperwire.digests.models import DigestMessage, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "frequency", "created", "confirmed_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["email"]
    readonly_fields = ["feed_token", "created", "confirmed_at", "unsubscribed_at"]


@admin.register(DigestMessage)
class DigestMessageAdmin(admin.ModelAdmin):
    list_display = ["period", "to_email", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "period"]
    search_fields = ["to_email"]
    readonly_fields = [f.name for f in DigestMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Digests are composed by the digest job; staff look at them (every field is
        # read-only, so an added row could not even get its next attempt's time).
        return False
