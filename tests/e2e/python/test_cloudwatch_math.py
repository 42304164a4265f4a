"""CloudWatch metric math end to end with boto3 (both protocol passes): GetMetricData expressions
(arithmetic with AWS's timestamp alignment, SUM over METRICS(), FILL, IF, RATE, labels, ReturnData,
arrays), their validation errors, and metric-math alarms evaluated on the server's clock."""
import datetime as dt
import uuid

from test_cloudwatch import MINUTE, cw, expect, server_now, srv  # noqa: F401 (fixtures)


def _minute(t):
    return t.replace(second=0, microsecond=0)


def _put(cw, ns, base, name, values):  # noqa: F811
    """values: {minute offset from base: value}."""
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": name, "Value": v, "Timestamp": base + dt.timedelta(minutes=k)} for k, v in values.items()])


def _stat(qid, ns, name, ret=False, stat="Sum"):
    return {"Id": qid, "ReturnData": ret,
            "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": stat}}


def test_get_metric_data_math(srv, cw):  # noqa: F811
    ns = f"Math/{uuid.uuid4().hex[:8]}"
    base = _minute(server_now(srv)) - dt.timedelta(minutes=10)
    _put(cw, ns, base, "Errors", {0: 2, 1: 3, 3: 8})
    _put(cw, ns, base, "Requests", {0: 10, 1: 30, 2: 40, 3: 80})
    r = cw.get_metric_data(
        MetricDataQueries=[
            _stat("m1", ns, "Errors"), _stat("m2", ns, "Requests"),
            {"Id": "rate", "Expression": "m1 * 100 / m2", "Label": "Error rate"},
            {"Id": "total", "Expression": "SUM(METRICS())"},
            {"Id": "filled", "Expression": "FILL(m1, 0)", "Period": 60},
            {"Id": "big", "Expression": "IF(m2 > 20, m2)"},
            {"Id": "growth", "Expression": "DIFF(m2)"},
            {"Id": "hidden", "Expression": "m1 + 1", "ReturnData": False},
            {"Id": "both", "Expression": "METRICS() * 2", "Label": "Twice"},
        ],
        StartTime=base, EndTime=base + dt.timedelta(minutes=4), ScanBy="TimestampAscending")
    res = r["MetricDataResults"]
    by_id = {}
    for x in res:
        by_id.setdefault(x["Id"], []).append(x)
    assert "hidden" not in by_id and "m1" not in by_id
    ts = [base + dt.timedelta(minutes=k) for k in range(4)]
    (rate,) = by_id["rate"]
    assert rate["Label"] == "Error rate" and rate["StatusCode"] == "Complete"
    # Only the minutes both series have (minute 2 has no Errors).
    assert rate["Timestamps"] == [ts[0], ts[1], ts[3]]
    assert rate["Values"] == [20.0, 10.0, 10.0]
    (total,) = by_id["total"]
    assert total["Label"] == "total" and total["Values"] == [12.0, 33.0, 40.0, 88.0]
    assert by_id["filled"][0]["Values"] == [2.0, 3.0, 0.0, 8.0]
    assert by_id["big"][0]["Values"] == [30.0, 40.0, 80.0]
    assert by_id["growth"][0]["Values"] == [20.0, 10.0, 40.0]
    assert [x["Label"] for x in by_id["both"]] == ["Twice Errors", "Twice Requests"]
    assert by_id["both"][1]["Values"] == [20.0, 60.0, 80.0, 160.0]
    # Newest first by default.
    r = cw.get_metric_data(MetricDataQueries=[_stat("m2", ns, "Requests"), {"Id": "e", "Expression": "m2 - AVG(m2)"}],
                           StartTime=base, EndTime=base + dt.timedelta(minutes=4))
    (e,) = r["MetricDataResults"]
    assert e["Values"] == [40.0, 0.0, -10.0, -30.0]


def test_get_metric_data_math_errors(srv, cw):  # noqa: F811
    now = server_now(srv)
    window = {"StartTime": now - dt.timedelta(minutes=5), "EndTime": now}
    err = expect(cw.get_metric_data, "ValidationError", **window, MetricDataQueries=[
        _stat("m1", "App", "X"), {"Id": "e1", "Expression": "m1 + m3"}])
    assert err["Error"]["Message"] == "Error in expression e1: Unrecognized metric or expression id: m3."
    err = expect(cw.get_metric_data, "ValidationError", **window, MetricDataQueries=[
        {"Id": "e1", "Expression": "e2 * 2"}, {"Id": "e2", "Expression": "e1 + 1"}])
    assert err["Error"]["Message"].startswith("Error in expression e1: Circular dependency detected")
    err = expect(cw.get_metric_data, "ValidationError", **window, MetricDataQueries=[
        _stat("m1", "App", "X"), {"Id": "e1", "Expression": "SUM(m1"}])
    assert err["Error"]["Message"] == "Error in expression e1: Unexpected end of expression."
    err = expect(cw.get_metric_data, "ValidationError", **window, MetricDataQueries=[
        _stat("m1", "App", "X"), {"Id": "e1", "Expression": "NOPE(m1)"}])
    assert err["Error"]["Message"] == "Error in expression e1: Unrecognized function: NOPE."
    expect(cw.get_metric_data, "InvalidParameterCombination", **window, MetricDataQueries=[
        {"Id": "e1", "Expression": "1", "MetricStat": _stat("x", "App", "X")["MetricStat"]}])


def test_metric_math_alarm(srv, cw):  # noqa: F811
    ns = f"MathAlarm/{uuid.uuid4().hex[:8]}"
    alarm = f"rate-{uuid.uuid4().hex[:8]}"
    metrics = [_stat("m1", ns, "Errors"), _stat("m2", ns, "Requests"),
               {"Id": "e1", "Expression": "m1 * 100 / m2", "Label": "Error rate", "ReturnData": True}]
    cw.put_metric_alarm(AlarmName=alarm, Metrics=metrics, EvaluationPeriods=1, Threshold=10,
                        ComparisonOperator="GreaterThanThreshold")
    (a,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert "MetricName" not in a and [m["Id"] for m in a["Metrics"]] == ["m1", "m2", "e1"]
    assert a["Metrics"][2] == {"Id": "e1", "Expression": "m1 * 100 / m2", "Label": "Error rate", "ReturnData": True}
    assert a["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "Errors"
    srv.advance_clock(MINUTE)  # a fresh minute
    now = server_now(srv)
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": 5, "Timestamp": now},
                                                 {"MetricName": "Requests", "Value": 20, "Timestamp": now}])
    srv.advance_clock(MINUTE)
    (a,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert a["StateValue"] == "ALARM", a
    assert a["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [25.0 (")
    srv.advance_clock(MINUTE)
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": 1, "Timestamp": server_now(srv)},
                                                 {"MetricName": "Requests", "Value": 20, "Timestamp": server_now(srv)}])
    srv.advance_clock(MINUTE)
    assert cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"] == "OK"
    cw.delete_alarms(AlarmNames=[alarm])


def test_metric_math_alarm_errors_and_bands(srv, cw):  # noqa: F811
    ns = "MathAlarm/errors"
    base = {"AlarmName": f"bad-{uuid.uuid4().hex[:8]}", "EvaluationPeriods": 1}
    two = [_stat("m1", ns, "Errors", ret=True), {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]
    err = expect(cw.put_metric_alarm, "ValidationError", **base, Metrics=two, Threshold=1,
                 ComparisonOperator="GreaterThanThreshold")
    assert err["Error"]["Message"] == "Exactly one element of the Metrics list must have ReturnData set to true."
    one = [_stat("m1", ns, "Errors"), {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]
    expect(cw.put_metric_alarm, "InvalidParameterCombination", **base, Metrics=one, Threshold=1,
           ComparisonOperator="GreaterThanThreshold", MetricName="Errors")
    expect(cw.put_metric_alarm, "ValidationError", **base, Metrics=one + [{"Id": "e2", "Expression": "e9"}],
           Threshold=1, ComparisonOperator="GreaterThanThreshold")
    err = expect(cw.put_metric_alarm, "ValidationError", **base,
                 Metrics=[{"Id": "s", "Expression": "SUM(SEARCH('Errors', 'Sum', 60))", "ReturnData": True}],
                 Threshold=1, ComparisonOperator="GreaterThanThreshold")
    assert err["Error"]["Message"] == "Error in expression s: SEARCH() cannot be used in an alarm."
    # Anomaly bands: accepted with a ThresholdMetricId naming the band; no model here, so the alarm
    # stays INSUFFICIENT_DATA (as on AWS before a model has been trained).
    expect(cw.put_metric_alarm, "ValidationError", **base, Metrics=one,
           ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold")
    expect(cw.put_metric_alarm, "InvalidParameterCombination", **base, Namespace=ns, MetricName="Errors",
           Statistic="Sum", Period=60, Threshold=1, ComparisonOperator="GreaterThanUpperThreshold")
    band = [_stat("m1", ns, "Errors", ret=True), {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]
    cw.put_metric_alarm(**base, Metrics=band, ThresholdMetricId="ad1",
                        ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold")
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": 100}])
    srv.advance_clock(MINUTE)
    (a,) = cw.describe_alarms(AlarmNames=[base["AlarmName"]])["MetricAlarms"]
    assert a["StateValue"] == "INSUFFICIENT_DATA" and a["ThresholdMetricId"] == "ad1" and "Threshold" not in a
    cw.delete_alarms(AlarmNames=[base["AlarmName"]])


def test_get_metric_data_array_and_time_functions(srv, cw):  # noqa: F811
    """SORT, SLICE, FIRST, LAST, REMOVE_EMPTY, METRIC_COUNT, DATAPOINT_COUNT and the time functions."""
    ns = f"Math/{uuid.uuid4().hex[:8]}"
    base = _minute(server_now(srv)) - dt.timedelta(minutes=10)
    _put(cw, ns, base, "A", {0: 1, 1: 2})
    _put(cw, ns, base, "B", {0: 10, 1: 20, 2: 30})
    _put(cw, ns, base, "C", {1: 5})
    stats = [_stat("a", ns, "A"), _stat("b", ns, "B"), _stat("c", ns, "C"), _stat("d", ns, "Nothing")]
    r = cw.get_metric_data(
        MetricDataQueries=stats + [
            {"Id": "top", "Expression": "SORT(METRICS(), SUM, DESC, 2)", "Label": "Top"},
            {"Id": "low", "Expression": "FIRST(SORT(REMOVE_EMPTY(METRICS()), MAX, ASC))"},
            {"Id": "last", "Expression": "LAST(SLICE(METRICS(), 0, 2))"},
            {"Id": "n", "Expression": "METRIC_COUNT(REMOVE_EMPTY(METRICS())) + 0 * b"},
            {"Id": "cnt", "Expression": "DATAPOINT_COUNT(METRICS())"},
            {"Id": "minute", "Expression": "MINUTE(b)"},
            {"Id": "epoch", "Expression": "EPOCH(b)"},
            {"Id": "date", "Expression": "DATE(b) * 100 + MONTH(b) + YEAR(b) * 0 + HOUR(b) * 0 + DAY(b) * 0"},
        ],
        StartTime=base, EndTime=base + dt.timedelta(minutes=4), ScanBy="TimestampAscending")
    by_id = {}
    for x in r["MetricDataResults"]:
        by_id.setdefault(x["Id"], []).append(x)
    assert [x["Label"] for x in by_id["top"]] == ["Top B", "Top C"]
    assert [x["Label"] for x in by_id["low"]] == ["low"] and by_id["low"][0]["Values"] == [1.0, 2.0]
    assert by_id["last"][0]["Values"] == [10.0, 20.0, 30.0]
    assert by_id["n"][0]["Values"] == [3.0, 3.0, 3.0]
    assert by_id["cnt"][0]["Values"] == [2.0, 3.0, 1.0]
    ts = [base + dt.timedelta(minutes=k) for k in range(3)]
    assert by_id["minute"][0]["Values"] == [float(t.minute) for t in ts]
    assert by_id["epoch"][0]["Values"] == [float(int(t.timestamp())) for t in ts]
    assert by_id["date"][0]["Values"] == [float(t.day * 100 + t.month) for t in ts]

    err = expect(cw.get_metric_data, "ValidationError", MetricDataQueries=stats + [
        {"Id": "e1", "Expression": "SORT(METRICS(), SUM, SIDEWAYS)"}],
        StartTime=base, EndTime=base + dt.timedelta(minutes=4))
    assert err["Error"]["Message"].startswith("Error in expression e1: ")


def test_get_metric_data_search(srv, cw):  # noqa: F811
    """SEARCH over the stored metrics: schema, property and free terms, boolean operators."""
    ns = f"Search/{uuid.uuid4().hex[:8]}"
    base = _minute(server_now(srv)) - dt.timedelta(minutes=10)
    data = []
    for api, zone, v in (("get", None, 1), ("put", None, 2), ("get", "a", 4)):
        dims = [{"Name": "Api", "Value": api}] + ([{"Name": "Zone", "Value": zone}] if zone else [])
        data.append({"MetricName": "Latency", "Dimensions": dims, "Value": v, "Timestamp": base})
    data.append({"MetricName": "Requests", "Dimensions": [{"Name": "Api", "Value": "get"}], "Value": 9,
                 "Timestamp": base})
    cw.put_metric_data(Namespace=ns, MetricData=data)

    def search(expr, **extra):
        r = cw.get_metric_data(
            MetricDataQueries=[{"Id": "s", "Expression": expr, **extra}],
            StartTime=base, EndTime=base + dt.timedelta(minutes=2), ScanBy="TimestampAscending")
        return sorted((x["Label"], x["Values"]) for x in r["MetricDataResults"])

    assert search(f"SEARCH('{{{ns},Api}} MetricName=\"Latency\"', 'Sum', 60)") == \
        [("get Latency", [1.0]), ("put Latency", [2.0])]
    assert search(f"SEARCH('{{{ns},Api,Zone}}', 'Maximum', 60)") == [("get a Latency", [4.0])]
    assert search(f"SEARCH('Namespace=\"{ns}\" Api=get NOT Zone=a', 'Sum', 60)") == \
        [("get Latency", [1.0]), ("get Requests", [9.0])]
    assert search(f"SUM(SEARCH('Namespace=\"{ns}\" (Latency OR Requests)', 'Sum', 60))",
                  Label="All") == [("All", [16.0])]
    err = expect(cw.get_metric_data, "ValidationError", MetricDataQueries=[
        {"Id": "s", "Expression": "SEARCH('(Latency', 'Sum', 60)"}],
        StartTime=base, EndTime=base + dt.timedelta(minutes=2))
    assert err["Error"]["Message"] == \
        "Error in expression s: Invalid SEARCH query: unexpected end of the query."


def test_get_metric_data_metrics_insights(srv, cw):  # noqa: F811
    """Metrics Insights SELECT queries in GetMetricData and in a metric-math alarm."""
    ns = f"Insights/{uuid.uuid4().hex[:8]}"
    base = _minute(server_now(srv)) - dt.timedelta(minutes=10)
    data = []
    for api, zone, v in (("get", "a", 1), ("put", "a", 2), ("put", "b", 4)):
        data.append({"MetricName": "Latency", "Value": v, "Timestamp": base,
                     "Dimensions": [{"Name": "Api", "Value": api}, {"Name": "Zone", "Value": zone}]})
    cw.put_metric_data(Namespace=ns, MetricData=data)

    def query(expr, **extra):
        r = cw.get_metric_data(
            MetricDataQueries=[{"Id": "q", "Expression": expr, "Period": 60, **extra}],
            StartTime=base, EndTime=base + dt.timedelta(minutes=2), ScanBy="TimestampAscending")
        return [(x["Label"], x["Values"]) for x in r["MetricDataResults"]]

    assert query(f'SELECT SUM(Latency) FROM "{ns}"', Label="Total") == [("Total", [7.0])]
    assert query(f"SELECT AVG(Latency) FROM SCHEMA(\"{ns}\", Api, Zone) WHERE Api = 'put'") == [("q", [3.0])]
    assert query(f'SELECT MAX(Latency) FROM "{ns}" GROUP BY Zone ORDER BY MAX() DESC LIMIT 2') == \
        [("b", [4.0]), ("a", [2.0])]
    assert query(f"SELECT COUNT(Latency) FROM \"{ns}\" WHERE Zone LIKE 'a%' GROUP BY Api") == \
        [("get", [1.0]), ("put", [1.0])]
    err = expect(cw.get_metric_data, "ValidationError", MetricDataQueries=[
        {"Id": "q", "Expression": f'SELECT MEDIAN(Latency) FROM "{ns}"', "Period": 60}],
        StartTime=base, EndTime=base + dt.timedelta(minutes=2))
    assert err["Error"]["Message"].startswith("Error in expression q: Invalid Metrics Insights query: ")

    # An alarm on a Metrics Insights query, evaluated on the server's clock.
    name = f"insights-{uuid.uuid4().hex[:8]}"
    cw.put_metric_alarm(AlarmName=name, EvaluationPeriods=1, Threshold=5,
                        ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
                        Metrics=[{"Id": "q", "Expression": f'SELECT SUM(Latency) FROM "{ns}"',
                                  "Period": 60, "ReturnData": True}])
    now = _minute(server_now(srv))
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Latency", "Value": 9, "Timestamp": now,
         "Dimensions": [{"Name": "Api", "Value": "get"}, {"Name": "Zone", "Value": "a"}]}])
    srv.advance_clock(MINUTE)
    (a,) = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert a["StateValue"] == "ALARM", a
    cw.delete_alarms(AlarmNames=[name])
