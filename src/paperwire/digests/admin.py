from django.contrib import admin

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
