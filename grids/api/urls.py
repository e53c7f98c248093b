"""Read API of the registry, mounted at /api/grids/."""
from django.urls import path
from rest_framework.routers import DefaultRouter

from . import map_views, views

router = DefaultRouter()
router.register("regions", views.RegionViewSet, basename="grids-region")
router.register("unit-grids", views.UnitGridViewSet, basename="grids-unit-grid")
router.register("responsibility-grids", views.ResponsibilityGridViewSet, basename="grids-responsibility-grid")
router.register("major-classes", views.MajorClassViewSet, basename="grids-major-class")
router.register("minor-classes", views.MinorClassViewSet, basename="grids-minor-class")
router.register("department-types", views.DepartmentTypeViewSet, basename="grids-department-type")
router.register("departments", views.DepartmentViewSet, basename="grids-department")
router.register("ownership-rules", views.OwnershipRuleViewSet, basename="grids-ownership-rule")
router.register("components", views.ComponentViewSet, basename="grids-component")

urlpatterns = [
    path("locate/", views.LocateView.as_view(), name="grids-locate"),
    path("ownership/", views.OwnershipView.as_view(), name="grids-ownership"),
    path("map/search/", map_views.MapSearchView.as_view(), name="grids-map-search"),
    path("map/point/", map_views.MapPointView.as_view(), name="grids-map-point"),
    path("map/basemap/", map_views.BasemapView.as_view(), name="grids-map-basemap"),
    *router.urls,
]
