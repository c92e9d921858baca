from django.urls import path

from . import views, views_access, views_widget

app_name = "employer_kit"

urlpatterns = [
    path("", views.home, name="home"),
    path("acces/", views_access.identify, name="identify"),
    path("acces/<str:token>/", views_access.confirm, name="confirm"),
    path("deconnexion/", views_access.logout, name="logout"),
    path("compte/", views_access.account, name="account"),
    path("compte/supprimer/", views_access.account_delete, name="account_delete"),
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
    path("widget/", views_widget.widget, name="widget"),
    path("oembed/", views_widget.oembed, name="oembed"),
]
