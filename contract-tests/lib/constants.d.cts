export declare const ORIGIN_WITHOUT_TEMPLATES: string;
