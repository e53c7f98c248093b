"""What the synthetic history is made of: the shares of sources, urgencies, classes and paths, the
working time before each action, who acts, and the integer codes the arrays use for states and steps."""
from django.core.exceptions import ImproperlyConfigured

from grids.models import Role

from ..models import Source, State, StepKind
from ..transitions import TRANSITIONS

NULL = -1  # the null of every integer column here (ids, epoch seconds, booleans as 0/1)
OVERDUE_MARK_DELAY = 30  # seconds after a deadline at which the minutely beat marks the step

# Collectors dominate; the hotline and transfers are the next biggest share (published city reports).
SOURCE_MIX = {
    Source.COLLECTOR: 0.70, Source.VIDEO: 0.06, Source.HOTLINE_12319: 0.07, Source.HOTLINE_12345: 0.08,
    Source.PUBLIC: 0.05, Source.MEDIA: 0.005, Source.LEADER: 0.005, Source.TRANSFER_110: 0.01, Source.OTHER: 0.02,
}
URGENCY_MIX = {"normal": 0.93, "urgent": 0.05, "engineering": 0.02}
# "Four classes make 85 % of reports": these names, where the city has them, get 85 % of the weight.
TOP_CLASS_NAMES = ["暴露垃圾", "非法小广告", "店外经营", "乱堆物堆料", "无照经营游商", "非机动车乱停放",
                   "积存垃圾渣土", "道路不洁"]
TOP_CLASS_COUNT = 5
TOP_CLASS_SHARE = 0.85
COMPONENT_REFERENCE_SHARE = 0.7  # component-class reports that name the component's code
OWNERSHIP_OVERRIDE_SHARE = 0.03  # the dispatcher sends elsewhere than the ownership rule says

# Report intensity by local hour (patrols in the work windows, the public into the evening).
HOUR_WEIGHTS = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 6, 6, 5, 2, 2.5, 5.5, 6, 5.5, 4, 2, 1.5, 1.2, 1, 0.6, 0.3]
DAY_OFF_FACTOR = 0.6

NOTES = {
    "void": "不属于城管受理范围，不予立案", "return": "非本单位职责范围，申请回退", "request_extension": "需协调多部门联合处置，申请延期",
    "deny_extension": "延期理由不充分", "request_suspension": "涉及征收拆迁，暂时无法处置，申请挂账",
    "deny_suspension": "不符合挂账条件", "check_fail": "现场问题仍然存在，处置不到位", "urge": "请加快处置进度",
}
DESCRIPTION_SUFFIXES = ["，请尽快处理", "，影响市容市貌", "，群众反映强烈", "，已存在多日", "，存在安全隐患"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"

# Paths after filing, with their share among filed cases.
BODIES: dict[str, tuple[float, list[str]]] = {
    "plain": (0.725, ["dispatch", "report_handled", "send_check", "check_pass", "close"]),
    "return": (0.05, ["dispatch", "return", "dispatch", "report_handled", "send_check", "check_pass", "close"]),
    "extension": (0.05, ["dispatch", "request_extension", "approve_extension", "report_handled", "send_check",
                         "check_pass", "close"]),
    "extension_denied": (0.015, ["dispatch", "request_extension", "deny_extension", "report_handled",
                                 "send_check", "check_pass", "close"]),
    "suspension": (0.015, ["dispatch", "request_suspension", "approve_suspension", "resume", "report_handled",
                           "send_check", "check_pass", "close"]),
    "suspension_parked": (0.01, ["dispatch", "request_suspension", "approve_suspension"]),
    "suspension_denied": (0.01, ["dispatch", "request_suspension", "deny_suspension", "report_handled",
                                 "send_check", "check_pass", "close"]),
    "rework": (0.06, ["dispatch", "report_handled", "send_check", "check_fail", "report_handled", "send_check",
                      "check_pass", "close"]),
    "rework_twice": (0.01, ["dispatch", "report_handled", "send_check", "check_fail", "report_handled",
                            "send_check", "check_fail", "report_handled", "send_check", "check_pass", "close"]),
    "return_rework": (0.01, ["dispatch", "return", "dispatch", "report_handled", "send_check", "check_fail",
                             "report_handled", "send_check", "check_pass", "close"]),
    "urged": (0.045, ["dispatch", "urge", "report_handled", "send_check", "check_pass", "close"]),
}
# Beginnings by source: a collector's report is verified by nature; the others are verified first.
DIRECT = ["report", "propose_file", "file"]
VERIFIED = ["report", "send_verify", "verify_true", "file"]
COLLECTOR_SELF_HANDLED = 0.08
VOID_SHARE = {"direct": 0.05, "video": 0.10, "verify_false": 0.10, "verify_void_at_once": 0.04}


def _paths() -> list[tuple[str, list[str]]]:
    paths = [("self_handled", ["report", "self_handle"]), ("void", ["report", "void"]),
             ("verify_false", ["report", "send_verify", "verify_false", "void"])]
    for prefix_name, prefix in (("direct", DIRECT), ("verified", VERIFIED)):
        for body_name, (_share, body) in BODIES.items():
            paths.append((f"{prefix_name}:{body_name}", prefix + body))
    return paths


PATHS = _paths()
PATH_INDEX = {name: i for i, (name, _actions) in enumerate(PATHS)}

# Who acts: the role the lifecycle table (cases.transitions) gives each move, or where it allows
# several, the one named here; an actor is drawn from the column of the sampled cases for that role
# (handlers come with the department a case is dispatched to). The reporter reports and self-handles.
ROLE_CHOICE = {"resume": Role.SHIFT_LEADER, "check_fail": Role.COLLECTOR, "urge": Role.DISPATCHER}
ROLE_COLUMN = {Role.OPERATOR: "operator", Role.SHIFT_LEADER: "leader", Role.DISPATCHER: "dispatcher",
               Role.COLLECTOR: "collector", Role.HANDLER: "handler"}
# The generator's actions that record another action's event (verify_true → a "verify" event).
EVENT_ACTION = {"verify_true": "verify", "verify_false": "verify"}


def _actor_columns() -> dict[str, str]:
    columns = {"report": "reporter", "self_handle": "reporter"}  # not moves of the lifecycle table
    for action in sorted({a for _name, actions in PATHS for a in actions} - set(columns)):
        roles = TRANSITIONS[EVENT_ACTION.get(action, action)].roles
        role = ROLE_CHOICE.get(action, next(iter(roles)) if len(roles) == 1 else None)
        if role not in roles:
            raise ImproperlyConfigured(f"generate: no role of {sorted(roles)} chosen for {action!r}")
        columns[action] = ROLE_COLUMN[role]
    return columns


ACTOR_COLUMN = _actor_columns()
# Command-center actions: (median minutes, sigma) of the lognormal working time before them.
QUICK_GAPS = {
    "propose_file": (6, 0.8), "send_verify": (6, 0.8), "verify_true": (25, 0.7), "verify_false": (25, 0.7),
    "file": (8, 0.7), "void": (10, 0.8), "dispatch": (8, 0.7), "send_check": (5, 0.8), "check_pass": (40, 0.6),
    "check_fail": (45, 0.6), "close": (6, 0.8), "approve_extension": (40, 0.7), "deny_extension": (40, 0.7),
    "approve_suspension": (120, 0.6), "deny_suspension": (120, 0.6),
}
STATE_CODES = list(State.values)
STEP_CODES = list(StepKind.values)
S = {value: i for i, value in enumerate(STATE_CODES)}
K = {value: i for i, value in enumerate(STEP_CODES)}


