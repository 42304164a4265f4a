// AWS SDK for JavaScript v3 CloudWatch client against Sluice. @aws-sdk/client-cloudwatch 3.1178
// speaks AWS JSON 1.0 (X-Amz-Target GraniteServiceVersion20100801.<Op>, awsQueryCompatible
// errors); the first test asserts that, so a client that moves to Smithy RPC v2 CBOR shows here.
// PutMetricData then GetMetricStatistics and GetMetricData, an alarm's life with tags, dashboards,
// and errors as the SDK raises them (awsQueryCompatible: the name is the error shape's, or the
// Query code where two shapes share it, as ResourceNotFound does).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CloudWatchClient, PutMetricDataCommand, GetMetricStatisticsCommand, GetMetricDataCommand,
  ListMetricsCommand, PutMetricAlarmCommand, DescribeAlarmsCommand, SetAlarmStateCommand,
  DeleteAlarmsCommand, TagResourceCommand, ListTagsForResourceCommand, UntagResourceCommand,
  PutDashboardCommand, GetDashboardCommand, ListDashboardsCommand, DeleteDashboardsCommand,
  PutCompositeAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import { ENDPOINT, uniqueName } from "../helpers.mjs";

const seen = [];
const cw = new CloudWatchClient({
  endpoint: ENDPOINT, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
cw.middlewareStack.add((next) => async (args) => {
  seen.push({ ...args.request.headers });
  return next(args);
}, { step: "finalizeRequest", name: "recordHeaders" });

async function rejects(promise, name, status = 400) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.name, name, e.message);
    assert.equal(e.$metadata?.httpStatusCode, status);
    return e;
  }
  assert.fail(`expected ${name}`);
}

test("the protocol is AWS JSON 1.0", async () => {
  await cw.send(new ListMetricsCommand({ Namespace: "Nothing/Here" }));
  const h = seen.at(-1);
  assert.equal(h["x-amz-target"], "GraniteServiceVersion20100801.ListMetrics");
  assert.match(h["content-type"], /^application\/x-amz-json-1\.0/);
});

test("PutMetricData, then GetMetricStatistics and GetMetricData", async () => {
  const Namespace = `Js/${uniqueName("ns")}`;
  const now = new Date();
  const Dimensions = [{ Name: "Api", Value: "checkout" }];
  await cw.send(new PutMetricDataCommand({
    Namespace,
    MetricData: [
      { MetricName: "Latency", Dimensions, Values: [10, 20, 30], Counts: [1, 1, 2], Unit: "Milliseconds", Timestamp: now },
      { MetricName: "Latency", Dimensions, Value: 50, Unit: "Milliseconds", Timestamp: now },
    ],
  }));
  const StartTime = new Date(now.getTime() - 10 * 60_000);
  const EndTime = new Date(now.getTime() + 10 * 60_000);
  const stats = await cw.send(new GetMetricStatisticsCommand({
    Namespace, MetricName: "Latency", Dimensions, StartTime, EndTime, Period: 1200,
    Statistics: ["Sum", "SampleCount", "Maximum"],
  }));
  assert.equal(stats.Datapoints.length, 1);
  const dp = stats.Datapoints[0];
  assert.deepEqual([dp.Sum, dp.SampleCount, dp.Maximum, dp.Unit], [140, 5, 50, "Milliseconds"]);
  assert.ok(dp.Timestamp instanceof Date);
  const pct = await cw.send(new GetMetricStatisticsCommand({
    Namespace, MetricName: "Latency", Dimensions, StartTime, EndTime, Period: 1200, ExtendedStatistics: ["p50"],
  }));
  assert.equal(pct.Datapoints[0].ExtendedStatistics.p50, 30);
  // Both at once is refused, as on AWS.
  await rejects(cw.send(new GetMetricStatisticsCommand({
    Namespace, MetricName: "Latency", Dimensions, StartTime, EndTime, Period: 1200,
    Statistics: ["Sum"], ExtendedStatistics: ["p50"],
  })), "InvalidParameterCombinationException");
  const data = await cw.send(new GetMetricDataCommand({
    StartTime, EndTime,
    MetricDataQueries: [{ Id: "lat", MetricStat: { Metric: { Namespace, MetricName: "Latency", Dimensions }, Period: 60, Stat: "Average" } }],
  }));
  assert.equal(data.MetricDataResults[0].StatusCode, "Complete");
  assert.deepEqual(data.MetricDataResults[0].Values, [28]);
  await rejects(cw.send(new PutMetricDataCommand({ Namespace: "AWS/SQS", MetricData: [{ MetricName: "x", Value: 1 }] })),
    "InvalidParameterValueException");
});

test("an alarm: created with tags, state set, tags edited, deleted", async () => {
  const AlarmName = uniqueName("alarm");
  await cw.send(new PutMetricAlarmCommand({
    AlarmName, Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible",
    Dimensions: [{ Name: "QueueName", Value: "orders" }], Statistic: "Maximum", Period: 300,
    EvaluationPeriods: 2, Threshold: 1000, ComparisonOperator: "GreaterThanThreshold",
    TreatMissingData: "notBreaching", Tags: [{ Key: "team", Value: "shop" }],
  }));
  const { MetricAlarms } = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [AlarmName] }));
  assert.equal(MetricAlarms.length, 1);
  const arn = MetricAlarms[0].AlarmArn;
  await cw.send(new SetAlarmStateCommand({ AlarmName, StateValue: "ALARM", StateReason: "js test" }));
  const after = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [AlarmName] }));
  assert.equal(after.MetricAlarms[0].StateValue, "ALARM");
  await cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "env", Value: "prod" }] }));
  await cw.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ["team"] }));
  const { Tags } = await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  assert.deepEqual(Tags, [{ Key: "env", Value: "prod" }]);
  await cw.send(new DeleteAlarmsCommand({ AlarmNames: [AlarmName] }));
  await rejects(cw.send(new ListTagsForResourceCommand({ ResourceARN: arn })), "ResourceNotFoundException", 404);
});

test("dashboards", async () => {
  const DashboardName = uniqueName("dash");
  const DashboardBody = JSON.stringify({ widgets: [{ type: "text", x: 0, y: 0, width: 24, height: 2, properties: { markdown: "# Js" } }] });
  const put = await cw.send(new PutDashboardCommand({ DashboardName, DashboardBody }));
  assert.deepEqual(put.DashboardValidationMessages ?? [], []);
  const got = await cw.send(new GetDashboardCommand({ DashboardName }));
  assert.equal(got.DashboardBody, DashboardBody);
  const { DashboardEntries } = await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: DashboardName }));
  assert.deepEqual(DashboardEntries.map((e) => e.DashboardName), [DashboardName]);
  assert.ok(DashboardEntries[0].LastModified instanceof Date);
  await rejects(cw.send(new PutDashboardCommand({ DashboardName, DashboardBody: "{}" })), "DashboardInvalidInputError");
  await cw.send(new DeleteDashboardsCommand({ DashboardNames: [DashboardName] }));
  await rejects(cw.send(new GetDashboardCommand({ DashboardName })), "ResourceNotFound", 404);
});

test("metric math in GetMetricData, a math alarm and a composite alarm", async () => {
  const Namespace = `Js/${uniqueName("math")}`;
  const base = new Date(Math.floor(Date.now() / 60000) * 60000 - 10 * 60000);
  const at = (k) => new Date(base.getTime() + k * 60000);
  await cw.send(new PutMetricDataCommand({ Namespace, MetricData: [
    { MetricName: "Errors", Value: 1, Timestamp: at(0) }, { MetricName: "Errors", Value: 3, Timestamp: at(1) },
    { MetricName: "Requests", Value: 10, Timestamp: at(0) }, { MetricName: "Requests", Value: 20, Timestamp: at(1) },
  ] }));
  const stat = (Id, MetricName) => ({ Id, ReturnData: false, MetricStat: { Metric: { Namespace, MetricName }, Period: 60, Stat: "Sum" } });
  const data = await cw.send(new GetMetricDataCommand({
    StartTime: at(0), EndTime: at(2), ScanBy: "TimestampAscending",
    MetricDataQueries: [stat("m1", "Errors"), stat("m2", "Requests"),
      { Id: "pct", Expression: "m1 * 100 / m2", Label: "Error %" }, { Id: "all", Expression: "SUM(METRICS())" }],
  }));
  const byId = Object.fromEntries(data.MetricDataResults.map((r) => [r.Id, r]));
  assert.deepEqual(byId.pct.Values, [10, 15]);
  assert.equal(byId.pct.Label, "Error %");
  assert.deepEqual(byId.all.Values, [11, 23]);
  assert.deepEqual(byId.all.Timestamps, [at(0), at(1)]);
  const err = await rejects(cw.send(new GetMetricDataCommand({
    StartTime: at(0), EndTime: at(2), MetricDataQueries: [stat("m1", "Errors"), { Id: "e1", Expression: "m1 + zz" }],
  })), "ValidationException");  // Query code ValidationError, as the SDK's newer model declares it
  assert.equal(err.message, "Error in expression e1: Unrecognized metric or expression id: zz.");

  const child = uniqueName("child");
  await cw.send(new PutMetricAlarmCommand({
    AlarmName: child, Metrics: [stat("m1", "Errors"), stat("m2", "Requests"), { Id: "e1", Expression: "m1 / m2", ReturnData: true }],
    EvaluationPeriods: 1, Threshold: 0.5, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "ignore",
  }));
  const parent = uniqueName("parent");
  await cw.send(new PutCompositeAlarmCommand({ AlarmName: parent, AlarmRule: `ALARM("${child}")` }));
  await cw.send(new SetAlarmStateCommand({ AlarmName: child, StateValue: "ALARM", StateReason: "js test" }));
  const d = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [child, parent], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }));
  assert.equal(d.MetricAlarms[0].Metrics[2].Expression, "m1 / m2");
  assert.equal(d.CompositeAlarms[0].StateValue, "ALARM");
  await rejects(cw.send(new DeleteAlarmsCommand({ AlarmNames: [child] })), "ValidationException");
  await cw.send(new DeleteAlarmsCommand({ AlarmNames: [parent, child] }));
});

test("a large PutMetricData is gzipped by the SDK (over 10 KiB) and accepted", async () => {
  const Namespace = uniqueName("Gzip");
  const now = new Date();
  const MetricData = Array.from({ length: 500 }, (_, i) => ({
    MetricName: "Bytes", Dimensions: [{ Name: "Shard", Value: "one" }], Value: i, Unit: "Bytes", Timestamp: now,
  }));
  const before = seen.length;
  await cw.send(new PutMetricDataCommand({ Namespace, MetricData }));
  const sent = seen.slice(before).find((h) => h["x-amz-target"]?.endsWith(".PutMetricData"));
  assert.equal(sent?.["content-encoding"], "gzip", "the SDK compressed the request");
  const stats = await cw.send(new GetMetricStatisticsCommand({
    Namespace, MetricName: "Bytes", Dimensions: [{ Name: "Shard", Value: "one" }],
    StartTime: new Date(now.getTime() - 600_000), EndTime: new Date(now.getTime() + 600_000),
    Period: 1200, Statistics: ["SampleCount", "Sum", "Maximum"],
  }));
  const dp = stats.Datapoints[0];
  assert.deepEqual([dp.SampleCount, dp.Sum, dp.Maximum], [500, (499 * 500) / 2, 499]);
});
