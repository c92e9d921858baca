from django.urls import path

from . import views, views_access, views_parent, views_status, views_upload

app_name = "ambassadors"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("vous/", views.consent, name="consent"),
    path("video/", views.record, name="record"),
    path("envoi/", views.send, name="send"),
    path("envoi/debut/", views_upload.upload_start, name="upload-start"),
    path("envoi/parties/", views_upload.upload_sign, name="upload-sign"),
    path("envoi/etat/", views_upload.upload_state, name="upload-state"),
    path("envoi/fin/", views_upload.upload_complete, name="upload-complete"),
    path("envoi/partie/<str:token>/", views_upload.upload_part, name="upload-part"),
    # Paths fixed by ambassadors.links (sent by email).
    path("suivi/<str:token>/", views_status.status, name="status"),
    path("retrait/<str:token>/", views_status.withdraw, name="withdraw"),
    path("suivi/<str:token>/nouvelle-video/", views_status.new_video, name="new-video"),
    path("parent/<str:token>/", views_parent.parent, name="parent"),
    path("parent/<str:token>/retrait/", views_parent.parent_withdraw, name="parent-withdraw"),
    path("suivi/<str:token>/donnees.json", views_access.access_data, name="access-data"),
    path("suivi/<str:token>/video/", views_access.access_video, name="access-video"),
]
