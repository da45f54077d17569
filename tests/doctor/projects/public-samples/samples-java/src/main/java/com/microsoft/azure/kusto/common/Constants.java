/**
 * Copyright (c) Microsoft Corporation. All rights reserved.
 * Licensed under the MIT License. See License.txt in the project root for
 * license information.
 */

package com.microsoft.azure.kusto.common;

public class Constants {
    public static final String SDKTESTSDB = "e2e";
    public static final String KUSTOCONNSTR = "KustoConnectionString";
    public static final String PRODUCTS = "Products";
    public static final String PRODUCTSCHANGELOG = "ProductsChangeLog";
}
