"""Pages of supervision: joint reviews (/supervision/reviews/) and the letter register
(/supervision/letters/)."""
from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("reviews/", views.reviews_page, name="reviews"),
    path("reviews/<int:review_id>/", views.review_page, name="review"),
    path("reviews/<int:review_id>/record/", views.review_record_view, name="review-record"),
    path("reviews/<int:review_id>/cases/", views.review_cases_view, name="review-cases"),
    path("reviews/items/<int:item_id>/decide/", views.review_decide_view, name="review-decide"),
    path("letters/", views.letters_page, name="letters"),
    path("letters/new/", views.letter_new, name="letter-new"),
    path("letters/<int:letter_id>/", views.letter_page, name="letter"),
    path("letters/<int:letter_id>/<str:step>/", views.letter_step, name="letter-step"),
    path("letters/<int:letter_id>/file", views.letter_file, name="letter-file"),
]
