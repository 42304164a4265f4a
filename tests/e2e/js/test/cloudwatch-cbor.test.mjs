// AWS SDK for JavaScript v3 CloudWatch client speaking Smithy RPC v2 CBOR to Sluice: the client
// configured with @aws-sdk/core's AwsSmithyRpcV2CborProtocol (the protocol the newest SDKs
// prefer for CloudWatch; 3.1178 defaults to AWS JSON 1.0). The first test asserts the wire form,
// the others run the API over it: PutMetricData (values and counts, statistic sets, timestamps),
// GetMetricStatistics, GetMetricData with math, ListMetrics paging, an alarm's life with tags,
// and errors (awsQueryCompatible, so named as over JSON).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CloudWatchClient, PutMetricDataCommand, GetMetricStatisticsCommand, GetMetricDataCommand,
  ListMetricsCommand, PutMetricAlarmCommand, DescribeAlarmsCommand, SetAlarmStateCommand,
  DeleteAlarmsCommand, TagResourceCommand, ListTagsForResourceCommand, UntagResourceCommand,
  GetDashboardCommand, PutDashboardCommand, DeleteDashboardsCommand,
} from "@aws-sdk/client-cloudwatch";
import { AwsSmithyRpcV2CborProtocol } from "@aws-sdk/core/protocols";
import { ENDPOINT, uniqueName } from "../helpers.mjs";

const seen = [];
const cw = new CloudWatchClient({
  endpoint: ENDPOINT, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  protocol: AwsSmithyRpcV2CborProtocol,
  // The SDK gzips PutMetricData bodies over 10 KiB (the model's requestCompression trait), but with
  // this protocol it sends the Content-Length of the uncompressed body (AwsSmithyRpcV2CborProtocol
  // sets it before the compression middleware runs), so the server waits for bytes that never
  // come; and Sluice does not decode Content-Encoding: gzip bodies (docs/cloudwatch.md).
  disableRequestCompression: true,
});
cw.middlewareStack.add((next) => async (args) => {
  const entry = { path: args.request.path, headers: { ...args.request.headers } };
  seen.push(entry);
  try {
    const out = await next(args);
    entry.response = { ...out.response.headers };
    return out;
  } catch (e) {
    entry.response = { ...e.$response?.headers };
    throw e;
  }
}, { step: "finalizeRequest", name: "recordWire" });

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

test("the protocol is Smithy RPC v2 CBOR", async () => {
  await cw.send(new ListMetricsCommand({ Namespace: "Nothing/Here" }));
  const { path, headers, response } = seen.at(-1);
  assert.equal(path, "/service/GraniteServiceVersion20100801/operation/ListMetrics");
  assert.equal(headers["smithy-protocol"], "rpc-v2-cbor");
  assert.equal(headers["content-type"], "application/cbor");
  assert.equal(headers["x-amz-target"], undefined);
  assert.match(headers.authorization, /^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/monitoring\//);
  assert.equal(response["smithy-protocol"], "rpc-v2-cbor");
  assert.equal(response["content-type"], "application/cbor");
});

test("PutMetricData, GetMetricStatistics and GetMetricData with math over CBOR", async () => {
  const Namespace = `Cbor/${uniqueName("ns")}`;
  const base = new Date(Math.floor(Date.now() / 60000) * 60000 - 10 * 60000);
  const at = (k, ms = 0) => new Date(base.getTime() + k * 60000 + ms);
  const Dimensions = [{ Name: "Api", Value: "checkout" }];
  await cw.send(new PutMetricDataCommand({
    Namespace,
    MetricData: [
      // Fractional seconds travel as a float inside tag 1; whole numbers as CBOR integers.
      { MetricName: "Latency", Dimensions, Values: [10, 20.5, 30], Counts: [1, 1, 2], Unit: "Milliseconds", Timestamp: at(0, 250) },
      { MetricName: "Latency", Dimensions, Value: 50, Unit: "Milliseconds", Timestamp: at(0, 999) },
      { MetricName: "Latency", Dimensions, Unit: "Milliseconds", Timestamp: at(1),
        StatisticValues: { SampleCount: 4, Sum: 10.25, Minimum: 0.5, Maximum: 7 } },
      { MetricName: "Errors", Value: 1, Timestamp: at(0) }, { MetricName: "Errors", Value: 3, Timestamp: at(1) },
      { MetricName: "Requests", Value: 10, Timestamp: at(0) }, { MetricName: "Requests", Value: 20, Timestamp: at(1) },
    ],
  }));
  const stats = await cw.send(new GetMetricStatisticsCommand({
    Namespace, MetricName: "Latency", Dimensions, StartTime: at(0), EndTime: at(2), Period: 60,
    Statistics: ["Sum", "SampleCount", "Maximum", "Minimum"],
  }));
  const points = stats.Datapoints.sort((a, b) => a.Timestamp - b.Timestamp);
  assert.equal(points.length, 2);
  assert.deepEqual(points.map((p) => p.Timestamp), [at(0), at(1)]);
  assert.ok(points[0].Timestamp instanceof Date);
  assert.deepEqual([points[0].Sum, points[0].SampleCount, points[0].Maximum, points[0].Minimum, points[0].Unit],
    [10 + 20.5 + 60 + 50, 5, 50, 10, "Milliseconds"]);
  assert.deepEqual([points[1].Sum, points[1].SampleCount, points[1].Maximum, points[1].Minimum],
    [10.25, 4, 7, 0.5]);
  const pct = await cw.send(new GetMetricStatisticsCommand({
    Namespace, MetricName: "Latency", Dimensions, StartTime: at(0), EndTime: at(1), Period: 60, ExtendedStatistics: ["p50"],
  }));
  assert.equal(pct.Datapoints[0].ExtendedStatistics.p50, 30);

  const stat = (Id, MetricName) => ({ Id, ReturnData: false, MetricStat: { Metric: { Namespace, MetricName }, Period: 60, Stat: "Sum" } });
  const data = await cw.send(new GetMetricDataCommand({
    StartTime: at(0), EndTime: at(2), ScanBy: "TimestampAscending",
    MetricDataQueries: [stat("m1", "Errors"), stat("m2", "Requests"),
      { Id: "pct", Expression: "m1 * 100 / m2", Label: "Error %" }, { Id: "all", Expression: "SUM(METRICS())" }],
  }));
  const byId = Object.fromEntries(data.MetricDataResults.map((r) => [r.Id, r]));
  assert.deepEqual(byId.pct.Values, [10, 15]);
  assert.equal(byId.pct.Label, "Error %");
  assert.equal(byId.pct.StatusCode, "Complete");
  assert.deepEqual(byId.all.Values, [11, 23]);
  assert.deepEqual(byId.all.Timestamps, [at(0), at(1)]);
});

test("ListMetrics pages over CBOR", async () => {
  const Namespace = `Cbor/${uniqueName("list")}`;
  const MetricData = Array.from({ length: 501 }, (_, i) => ({ MetricName: `m${String(i).padStart(3, "0")}`, Value: i }));
  await cw.send(new PutMetricDataCommand({ Namespace, MetricData }));
  const first = await cw.send(new ListMetricsCommand({ Namespace }));
  assert.equal(first.Metrics.length, 500);
  assert.ok(first.NextToken);
  const second = await cw.send(new ListMetricsCommand({ Namespace, NextToken: first.NextToken }));
  assert.equal(second.Metrics.length, 1);
  assert.equal(second.NextToken, undefined);
  const names = new Set([...first.Metrics, ...second.Metrics].map((m) => m.MetricName));
  assert.equal(names.size, 501);
  const one = await cw.send(new ListMetricsCommand({ Namespace, MetricName: "m007" }));
  assert.deepEqual(one.Metrics, [{ Namespace, MetricName: "m007", Dimensions: [] }]);
});

test("an alarm over CBOR: created with tags, described, state set, tags edited, deleted", async () => {
  const AlarmName = uniqueName("cbor-alarm");
  await cw.send(new PutMetricAlarmCommand({
    AlarmName, Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible",
    Dimensions: [{ Name: "QueueName", Value: "orders" }], Statistic: "Maximum", Period: 300,
    EvaluationPeriods: 2, DatapointsToAlarm: 1, Threshold: 1000.5, ComparisonOperator: "GreaterThanThreshold",
    TreatMissingData: "notBreaching", ActionsEnabled: false, Tags: [{ Key: "team", Value: "shop" }],
  }));
  const { MetricAlarms } = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [AlarmName] }));
  assert.equal(MetricAlarms.length, 1);
  const a = MetricAlarms[0];
  assert.deepEqual([a.Threshold, a.Period, a.EvaluationPeriods, a.DatapointsToAlarm, a.ActionsEnabled, a.TreatMissingData],
    [1000.5, 300, 2, 1, false, "notBreaching"]);
  assert.ok(a.AlarmConfigurationUpdatedTimestamp instanceof Date);
  assert.ok(Math.abs(a.AlarmConfigurationUpdatedTimestamp - Date.now()) < 24 * 3600 * 1000);
  const arn = a.AlarmArn;
  assert.match(arn, /^arn:aws:cloudwatch:us-east-1:\d{12}:alarm:/);
  await cw.send(new SetAlarmStateCommand({ AlarmName, StateValue: "ALARM", StateReason: "cbor test" }));
  const after = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: AlarmName, StateValue: "ALARM" }));
  assert.equal(after.MetricAlarms[0].StateValue, "ALARM");
  assert.equal(after.MetricAlarms[0].StateReason, "cbor test");
  await cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "env", Value: "prod" }] }));
  await cw.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ["team"] }));
  const { Tags } = await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  assert.deepEqual(Tags, [{ Key: "env", Value: "prod" }]);
  await cw.send(new DeleteAlarmsCommand({ AlarmNames: [AlarmName] }));
  const gone = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [AlarmName] }));
  assert.deepEqual(gone.MetricAlarms, []);
  await rejects(cw.send(new ListTagsForResourceCommand({ ResourceARN: arn })), "ResourceNotFoundException", 404);
});

test("errors over CBOR: validation, resource not found, the query error header", async () => {
  const e1 = await rejects(cw.send(new PutMetricDataCommand({ Namespace: "AWS/SQS", MetricData: [{ MetricName: "x", Value: 1 }] })),
    "InvalidParameterValueException");
  assert.match(e1.message, /AWS\//);
  const r = seen.at(-1).response;
  assert.equal(r["smithy-protocol"], "rpc-v2-cbor");
  assert.equal(r["x-amzn-query-error"], "InvalidParameterValue;Sender");
  const now = new Date();
  const e2 = await rejects(cw.send(new GetMetricDataCommand({
    StartTime: new Date(now - 600000), EndTime: now,
    MetricDataQueries: [{ Id: "m1", MetricStat: { Metric: { Namespace: "N", MetricName: "x" }, Period: 60, Stat: "Sum" } },
      { Id: "e1", Expression: "m1 + zz" }],
  })), "ValidationException");
  assert.equal(e2.message, "Error in expression e1: Unrecognized metric or expression id: zz.");
  const DashboardName = uniqueName("cbor-dash");
  await rejects(cw.send(new GetDashboardCommand({ DashboardName })), "ResourceNotFound", 404);
  await rejects(cw.send(new PutDashboardCommand({ DashboardName, DashboardBody: "{}" })), "DashboardInvalidInputError");
  await rejects(cw.send(new DeleteDashboardsCommand({ DashboardNames: [DashboardName] })), "ResourceNotFound", 404);
});
