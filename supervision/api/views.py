"""Supervision API (/api/supervision/): reviews (pending list, one review, convene, attendance,
the decision per case) and letters (register, one letter, draft, send, answer, sign off, return).
Scope and roles are the services' and selectors' (403 wrong role, 404 out of scope)."""
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, NotFoundError
from core.pagination import PageNumberPagination
from core.parsers import JSONParser

from .. import selectors, services
from .serializers import (
    AnswerInput,
    AttendanceInput,
    DecisionInput,
    LetterDetailOutput,
    LetterInput,
    LetterOutput,
    LettersQuery,
    ReturnInput,
    ReviewInput,
    ReviewOutput,
)


def _viewer(request) -> None:
    if not selectors.can_view(request.user):
        raise ApplicationError(_("您无权查看联合会审。"), status_code=403)


def _reviewer(request) -> None:
    """The role is checked before the input, so that who may not act is told so, not what to fill in."""
    if not selectors.can_review(request.user):
        raise ApplicationError(_("只有值班长或领导可以办理联合会审。"), status_code=403)


def _writer(request) -> None:
    if not selectors.can_write_letters(request.user):
        raise ApplicationError(_("您无权办理函件。"), status_code=403)


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _valid_query(serializer_class, request):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _review(request, review_id: int) -> Response:
    review = selectors.review_detail(request.user, review_id)
    if review is None:
        raise NotFoundError(_("会审不存在或不在您的管辖范围内。"))
    return ReviewOutput(review).data


class ReviewsApi(APIView):
    """GET: the pending reviews of the caller's region with their agendas (paged). POST: convene one."""

    pagination_class = PageNumberPagination  # read by the schema generator: the list is paged

    @extend_schema(responses=ReviewOutput(many=True))
    def get(self, request):
        _viewer(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.reviews_pending(request.user), request, view=self)
        return paginator.get_paginated_response(ReviewOutput(page, many=True).data)

    @extend_schema(request=ReviewInput, responses={201: ReviewOutput})
    def post(self, request):
        _reviewer(request)
        fields = _valid(ReviewInput, request)
        review = services.review_create(actor=request.user, **fields)
        return Response(_review(request, review.pk), status=status.HTTP_201_CREATED)


class ReviewApi(APIView):
    @extend_schema(responses=ReviewOutput)
    def get(self, request, review_id: int):
        _viewer(request)
        return Response(_review(request, review_id))


class ReviewAttendanceApi(APIView):
    """POST: the departments that attended, and the minutes."""

    @extend_schema(request=AttendanceInput, responses=ReviewOutput)
    def post(self, request, review_id: int):
        _reviewer(request)
        fields = _valid(AttendanceInput, request)
        services.review_record(actor=request.user, review_id=review_id, department_ids=fields["department_ids"],
                               minutes=fields["minutes"])
        return Response(_review(request, review_id))


class ReviewDecideApi(APIView):
    """POST: the decision on one case of a review (定责 or 作废), made on the case at once."""

    @extend_schema(request=DecisionInput, responses=ReviewOutput)
    def post(self, request, item_id: int):
        _reviewer(request)
        fields = _valid(DecisionInput, request)
        item = services.review_decide(actor=request.user, item_id=item_id, **fields)
        return Response(_review(request, item.review_id))


class LettersApi(APIView):
    """GET: the register (a department: its own letters), filtered by kind, state (or overdue),
    department and year, paged. POST: draft a letter from cases."""

    parser_classes = [JSONParser, FormParser]
    pagination_class = PageNumberPagination  # read by the schema generator: the list is paged

    @extend_schema(responses=LetterOutput(many=True), parameters=[LettersQuery])
    def get(self, request):
        if not selectors.can_read_letters(request.user):
            raise ApplicationError(_("您无权查看函件。"), status_code=403)
        query = _valid_query(LettersQuery, request)
        now = timezone.now()
        letters = selectors.letters_register(request.user, kind=query.get("kind", ""), state=query.get("state", ""),
                                             department_id=query.get("department"), year=query.get("year"), now=now)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(letters, request, view=self)
        return paginator.get_paginated_response(LetterOutput(page, many=True, context={"now": now}).data)

    @extend_schema(request=LetterInput, responses={201: LetterDetailOutput})
    def post(self, request):
        _writer(request)
        fields = _valid(LetterInput, request)
        letter = services.letter_draft(actor=request.user, **fields)
        return Response(_letter(request, letter.pk), status=status.HTTP_201_CREATED)


def _letter(request, letter_id: int) -> dict:
    letter = selectors.letter_detail(request.user, letter_id)
    if letter is None:
        raise NotFoundError(_("函件不存在或不在您的管辖范围内。"))
    return LetterDetailOutput(letter, context={"now": timezone.now()}).data


class LetterApi(APIView):
    @extend_schema(responses=LetterDetailOutput)
    def get(self, request, letter_id: int):
        if not selectors.can_read_letters(request.user):
            raise ApplicationError(_("您无权查看函件。"), status_code=403)
        return Response(_letter(request, letter_id))


class LetterSendApi(APIView):
    """POST: send a draft (numbered; a 督办函 urges each of its cases)."""

    @extend_schema(request=None, responses=LetterDetailOutput)
    def post(self, request, letter_id: int):
        services.letter_send(actor=request.user, letter_id=letter_id)
        return Response(_letter(request, letter_id))


class LetterAnswerApi(APIView):
    """POST: the department's answer, text and an optional file (multipart)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": AnswerInput, "application/json": AnswerInput},
                   responses=LetterDetailOutput)
    def post(self, request, letter_id: int):
        if request.user.role != "handler":
            raise ApplicationError(_("只有主送部门可以答复函件。"), status_code=403)
        fields = _valid(AnswerInput, request)
        services.letter_answer(actor=request.user, letter_id=letter_id, answer=fields["answer"],
                               answer_file=fields.get("answer_file"))
        return Response(_letter(request, letter_id))


class LetterSignOffApi(APIView):
    """POST: 销号."""

    @extend_schema(request=None, responses=LetterDetailOutput)
    def post(self, request, letter_id: int):
        services.letter_sign_off(actor=request.user, letter_id=letter_id)
        return Response(_letter(request, letter_id))


class LetterReturnApi(APIView):
    """POST: return the answer with a note; the department answers again."""

    @extend_schema(request=ReturnInput, responses=LetterDetailOutput)
    def post(self, request, letter_id: int):
        _writer(request)
        fields = _valid(ReturnInput, request)
        services.letter_return(actor=request.user, letter_id=letter_id, note=fields["note"])
        return Response(_letter(request, letter_id))
