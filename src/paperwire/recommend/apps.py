from django.apps import AppConfig


class RecommendConfig(AppConfig):
    name = "paperwire.recommend"
    verbose_name = "For you"
