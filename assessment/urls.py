"""URLs of the assessment pages (mounted at /assessment/). A period label is a path segment:
2026-10, 2026-Q4, 2026-W41, 2026, 2026-10-05 or 2026-10-01..2026-10-15. A page with tables answers
?export=… with their Excel export (views.exports), at the same URL and name."""
from django.urls import path

from .views import actions, bulletins, exports, pages
from .views.exports import page_or_export

app_name = "assessment"

urlpatterns = [
    path("", pages.home, name="home"),
    path("schedule/", pages.schedule, name="schedule"),
    path("bulletins/", bulletins.bulletin_list, name="bulletins"),
    path("bulletins/<int:pk>/", bulletins.bulletin_issued, name="bulletin_issued"),
    path("<str:label>/", pages.overview, name="overview"),
    path("<str:label>/compute/", actions.compute, name="compute"),
    path("<str:label>/freeze/", actions.freeze, name="freeze"),
    path("<str:label>/recompute/", actions.recompute, name="recompute"),
    path("<str:label>/ranking/<slug:object_type>/", page_or_export(pages.ranking, exports.ranking), name="ranking"),
    path("<str:label>/object/<slug:object_type>/<slug:level>/<int:object_id>/",
         page_or_export(pages.object_page, exports.object_page), name="object"),
    path("<str:label>/drill/<slug:object_type>/<slug:level>/<int:object_id>/<slug:counter>/",
         page_or_export(pages.drill, exports.drill), name="drill"),
    path("<str:label>/distribution/", page_or_export(pages.distribution, exports.distribution),
         name="distribution"),
    path("<str:label>/hotspots/", page_or_export(pages.hotspots, exports.hotspots), name="hotspots"),
    path("<str:label>/leaders/", page_or_export(pages.leaders, exports.leaders), name="leaders"),
    path("<str:label>/bulletin/", pages.bulletin, name="bulletin"),
]
