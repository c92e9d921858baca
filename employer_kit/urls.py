app_name = "employer_kit"

urlpatterns: list = []
