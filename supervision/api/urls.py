"""URLs of the supervision API."""
from django.urls import path

from . import views

urlpatterns = [
    path("reviews/", views.ReviewsApi.as_view(), name="supervision-reviews"),
    path("reviews/<int:review_id>/", views.ReviewApi.as_view(), name="supervision-review"),
    path("reviews/<int:review_id>/attendance/", views.ReviewAttendanceApi.as_view(), name="supervision-review-attendance"),
    path("review-items/<int:item_id>/decide/", views.ReviewDecideApi.as_view(), name="supervision-review-decide"),
    path("letters/", views.LettersApi.as_view(), name="supervision-letters"),
    path("letters/<int:letter_id>/", views.LetterApi.as_view(), name="supervision-letter"),
    path("letters/<int:letter_id>/send/", views.LetterSendApi.as_view(), name="supervision-letter-send"),
    path("letters/<int:letter_id>/answer/", views.LetterAnswerApi.as_view(), name="supervision-letter-answer"),
    path("letters/<int:letter_id>/sign-off/", views.LetterSignOffApi.as_view(), name="supervision-letter-sign-off"),
    path("letters/<int:letter_id>/return/", views.LetterReturnApi.as_view(), name="supervision-letter-return"),
]
