// Copyright (c) Microsoft Corporation. All rights reserved.
// Licensed under the MIT License. See License.txt in the project root for license information.

namespace Microsoft.Azure.WebJobs.Extensions.Kusto.SamplesOutOfProc.OutputBindingSamples.Common
{
    internal static class SampleConstants
    {
        public const string DatabaseName = "e2e";
        public const string ProductsTable = "Products";
    }
}