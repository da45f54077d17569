using System.Collections.Generic;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Kusto;
using Microsoft.Azure.Functions.Worker.Http;

namespace Orders;

public static class Functions
{
    /* [KustoInput(Database: "Orders", KqlCommand = "in a block comment")] */

    [Function("GetOrders")]
    public static IEnumerable<Order> GetOrders(
        [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequestData req,
        [KustoInput(Database: "Orders",
            KqlCommand = @"declare query_parameters (name:string);
Orders | where Name == name",
            KqlParameters = "@name={name}",
            Connection = "KustoConnectionStringManagedIdentity",
            ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")] IEnumerable<Order> orders)
        => orders;

    [Function("AddOrder")]
    [KustoOutput(Database: "Orders", TableName = "Orders",
        Connection = "KustoConnectionStringManagedIdentity",
        ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")]
    public static Order AddOrder([HttpTrigger(AuthorizationLevel.Function, "post")] HttpRequestData req)
        => new Order();

    [Function("NoConnection")]
    [KustoOutput(Database: "Orders", TableName = "Orders", ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")]
    public static Order NoConnection([HttpTrigger(AuthorizationLevel.Function, "post")] HttpRequestData req)
        => new Order();

    [Function("Misspelt")]
    public static string Misspelt(
        [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequestData req,
        [KustoInput("Orders", KqlCommand = "Orders | take 1",
            Connection = "KustoConnectionStringManagedIdentity",
            ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6",
            KqlParameter = "@name={name}")] string rows)
        => rows;

    [Function("NotAGuid")]
    public static string NotAGuid(
        [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequestData req,
        [KustoInput("Orders", KqlCommand = "Orders | take 1",
            Connection = "KustoConnectionStringManagedIdentity",
            ManagedServiceIdentity = "71affd21-6045-4de4-a5b2")] string rows)
        => rows;

    [Function("SharedA")]
    public static string SharedA(
        [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequestData req,
        [KustoInput("Orders", KqlCommand = "Orders | take 1", Connection = "KustoShared",
            ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")] string rows)
        => rows;

    [Function("SharedB")]
    [KustoOutput(Database: "Orders", TableName = "Events", Connection = "kustoshared",
        ManagedServiceIdentity = "system")]
    public static Order SharedB([HttpTrigger(AuthorizationLevel.Function, "post")] HttpRequestData req)
        => new Order();
}
