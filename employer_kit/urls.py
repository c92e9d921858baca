from django.urls import path

from . import views

app_name = "employer_kit"

urlpatterns = [
    path("", views.home, name="home"),
    path("acces/", views.identify, name="identify"),
    path("acces/<str:token>/", views.confirm, name="confirm"),
    path("deconnexion/", views.logout, name="logout"),
    path("compte/", views.account, name="account"),
    path("compte/supprimer/", views.account_delete, name="account_delete"),
    path("telecharger/<int:asset_id>/", views.download, name="download"),
    path("archive.zip", views.archive, name="archive"),
    path("panier.zip", views.basket, name="basket"),
    path("fiche/", views.one_pager, name="one_pager"),
    path("fiche/<uuid:one_pager_id>/", views.one_pager_done, name="one_pager_done"),
    path(
        "fiche/<uuid:one_pager_id>.<str:fmt>",
        views.one_pager_file,
        name="one_pager_file",
    ),
    path("widget/", views.widget, name="widget"),
    path("oembed/", views.oembed, name="oembed"),
]
