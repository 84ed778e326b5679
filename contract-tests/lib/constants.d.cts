export declare const ORIGIN_WITHOUT_TEMPLATES: string;
export declare const METRICS_TOKEN: string;
