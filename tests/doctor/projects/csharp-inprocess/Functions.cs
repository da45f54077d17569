using System.Collections.Generic;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.Http;
using Microsoft.Azure.WebJobs.Kusto;

namespace Orders
{
    public static class Functions
    {
        // A binding in a comment is no binding:
        // [Kusto(Database: "Orders", KqlCommand = "x", Connection = "Nope")]
        const string Text = "[Kusto(\"Orders\", TableName = \"NotABinding\")]";

        [FunctionName("GetOrders")]
        public static IActionResult GetOrders(
            [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequest req,
            [Kusto(Database: "Orders",
                KqlCommand = "declare query_parameters (name:string);Orders | where Name == name", // the query
                KqlParameters = "@name={name}",
                Connection = "KustoConnectionStringManagedIdentity",
                ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")] IEnumerable<Order> orders)
        {
            return new OkObjectResult(orders);
        }

        [FunctionName("AddOrder")]
        public static IActionResult AddOrder(
            [HttpTrigger(AuthorizationLevel.Function, "post")] HttpRequest req,
            [Kusto("Orders", TableName = "Orders",
                Connection = "KustoConnectionStringManagedIdentity",
                ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")] out Order order)
        {
            order = new Order();
            return new OkResult();
        }

        [FunctionName("NoConnection")]
        public static IActionResult NoConnection(
            [Kusto(Database: "Orders", KqlCommand = "Orders | take 1",
                ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")] string rows) // expect connection_missing
            => new OkObjectResult(rows);

        [FunctionName("Misspelt")]
        public static IActionResult Misspelt(
            [Kusto(Database: "Orders", KqlCommand = "Orders | take 1",
                Connection = "KustoConnectionStringManagedIdentity",
                ManagedServiceIdentiy = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")] string rows)
            => new OkObjectResult(rows);

        [FunctionName("NotAGuid")]
        public static IActionResult NotAGuid(
            [Kusto(Database: "Orders", KqlCommand = "Orders | take 1",
                Connection = "KustoConnectionStringManagedIdentity",
                ManagedServiceIdentity = "id-orders")] string rows)
            => new OkObjectResult(rows);

        [FunctionName("SharedA")]
        public static IActionResult SharedA(
            [Kusto(Database: "Orders", KqlCommand = "Orders | take 1", Connection = "KustoShared",
                ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6")] string rows)
            => new OkObjectResult(rows);

        [FunctionName("SharedB")]
        public static void SharedB(
            [Kusto(Database: "Orders", TableName = "Events", Connection = "KustoShared",
                ManagedServiceIdentity = "1c0a4f2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b")] ICollector<Order> events)
        {
        }
    }
}
