from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "paperwire.mail"
    label = "mail"
    verbose_name = "Mail"
