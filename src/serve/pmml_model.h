// The parsed form of a PMML document (pmml_parser.h builds it, pmml_evaluator.h runs it).
//
// Every field a model can read — DataDictionary fields, derived fields, a model's view of a field
// after its MiningSchema treatments, the outputs of a model chain's segments — lives in one slot
// of a per-row array of Values; the parser resolves every field name to its slot and checks that
// it exists, so evaluation does no name lookups and no checks beyond the data's own.
//
// Plain values, immutable after parsing; safe to read from many threads.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kiln::serve::pmml {

// A field's value during evaluation: missing, a number (integer, float, double and boolean
// fields; booleans are 0/1) or a text (string fields).
struct Value {
  enum class Kind : uint8_t { kMissing, kNumber, kText };
  Kind kind = Kind::kMissing;
  double number = 0;
  std::string text;

  static Value Missing() { return {}; }
  static Value Number(double v) { return {Kind::kNumber, v, {}}; }
  static Value Text(std::string v) { return {Kind::kText, 0, std::move(v)}; }
  bool missing() const { return kind == Kind::kMissing; }
};

enum class DataType : uint8_t { kString, kInteger, kFloat, kDouble, kBoolean };
enum class OpType : uint8_t { kCategorical, kOrdinal, kContinuous };

bool IsNumeric(DataType type);
const char* DataTypeName(DataType type);

// Equal values: numbers by value, texts by text; a number never equals a text.
bool SameValue(const Value& a, const Value& b);

// A value converted to a field's type: float rounds a number to single precision, integer
// truncates toward zero, boolean is 0 or 1; a number for a string field becomes its shortest
// text; a text for a numeric field is parsed (missing if it is not a number).
Value CastValue(Value v, DataType type);

// A constant written in the document, for a field of `type`. Numeric constants are parsed as
// doubles and kept exact, so an ordering comparison (lessThan, ...) uses the written threshold;
// with `for_equality` a float field's constant is rounded to single precision as the field's
// values are. Empty when the text is not a value of the type.
std::optional<Value> ParseConstant(std::string_view text, DataType type, bool for_equality);

// An Interval of valid values of a continuous DataField.
struct Interval {
  double left = -std::numeric_limits<double>::infinity();
  double right = std::numeric_limits<double>::infinity();
  bool left_closed = true;
  bool right_closed = true;
  bool Contains(double v) const;
};

struct DataField {
  std::string name;
  OpType optype = OpType::kContinuous;
  DataType type = DataType::kDouble;
  int line = 0;
  // <Value> elements by property. Numeric fields compare values as numbers.
  std::vector<Value> valid;
  std::vector<std::string> valid_texts;  // as written, for categories and messages
  std::vector<Value> invalid;
  std::vector<Value> missing;  // e.g. "NA" or -999: taken as a missing value
  std::vector<Interval> intervals;
  // Whether a present value of the right type is valid: in `valid` when that list is not empty
  // (categorical/ordinal fields), in one of `intervals` when there are some, and not in `invalid`.
  bool IsValid(const Value& v) const;
};

// --- Expressions (DerivedField, OutputField transformedValue) ---

enum class Function : uint8_t {
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kMin,
  kMax,
  kSum,
  kAvg,
  kProduct,
  kLog10,
  kLn,
  kSqrt,
  kAbs,
  kExp,
  kPow,
  kThreshold,
  kFloor,
  kCeil,
  kRound,
  kExpm1,
  kLn1p,
  kIsMissing,
  kIsNotMissing,
  kEqual,
  kNotEqual,
  kLessThan,
  kLessOrEqual,
  kGreaterThan,
  kGreaterOrEqual,
  kAnd,
  kOr,
  kNot,
  kIf,
  kIsIn,
  kIsNotIn,
};

enum class InvalidResult : uint8_t { kReturnInvalid, kAsMissing };

struct Expression {
  enum class Kind : uint8_t { kConstant, kFieldRef, kApply, kNormContinuous, kNormDiscrete };
  Kind kind = Kind::kConstant;
  int line = 0;
  Value constant;  // kConstant; kNormDiscrete: the value that maps to 1
  int slot = -1;   // kFieldRef, kNormContinuous, kNormDiscrete
  Function function = Function::kAdd;
  std::vector<Expression> args;  // kApply
  Value map_missing_to;          // missing = none
  Value default_value;           // kApply: the result when the function's result is missing
  InvalidResult invalid = InvalidResult::kReturnInvalid;  // kApply: NaN/inf results
  // kNormContinuous: the piecewise-linear map (original -> normalized), sorted by original;
  // outliers: 0 asIs (extrapolate), 1 asMissingValues, 2 asExtremeValues (clamp).
  std::vector<std::pair<double, double>> points;
  uint8_t outliers = 0;
};

// A computed field: its expression's value converted to `type` (float rounds to single
// precision, integer truncates toward zero).
struct DerivedField {
  std::string name;
  DataType type = DataType::kDouble;
  int slot = -1;
  Expression expression;
};

// --- Models ---

enum class MiningFunction : uint8_t { kRegression, kClassification };

// How a model's MiningSchema changes one field before the model sees it. Fields without any
// treatment are read straight from the parent's slot.
struct FieldTreatment {
  std::string name;
  int line = 0;
  int field = -1;  // DataField index when the field is one (for validity and type); else -1
  int in_slot = -1;
  int out_slot = -1;
  Value missing_replacement;      // missing = none
  bool missing_is_error = false;  // missingValueTreatment="returnInvalid"
  enum class Invalid : uint8_t { kReturnInvalid, kAsIs, kAsMissing, kAsValue };
  Invalid invalid = Invalid::kReturnInvalid;
  Value invalid_replacement;  // kAsValue
  enum class Outliers : uint8_t { kAsIs, kAsMissing, kAsExtreme };
  Outliers outliers = Outliers::kAsIs;
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
};

// Targets/Target of a regression model: min/max clamp, then * rescale_factor + rescale_constant,
// then castInteger.
struct TargetTransform {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  double rescale_factor = 1;
  double rescale_constant = 0;
  enum class Cast : uint8_t { kNone, kRound, kCeiling, kFloor };
  Cast cast = Cast::kNone;
};

// An OutputField a model chain passes on to later segments.
struct OutputField {
  std::string name;
  int slot = -1;
  DataType type = DataType::kDouble;
  enum class Feature : uint8_t { kPredictedValue, kProbability, kTransformedValue };
  Feature feature = Feature::kPredictedValue;
  int category = -1;      // kProbability: index into the model's categories
  Expression expression;  // kTransformedValue
};

// --- Predicates (TreeModel nodes, Segments) ---

enum class Truth : uint8_t { kFalse, kTrue, kUnknown };

struct Predicate {
  enum class Kind : uint8_t { kTrue, kFalse, kSimple, kSet, kCompound };
  enum class Op : uint8_t {
    kEqual,
    kNotEqual,
    kLessThan,
    kLessOrEqual,
    kGreaterThan,
    kGreaterOrEqual,
    kIsMissing,
    kIsNotMissing,
    // SimpleSetPredicate
    kIsIn,
    kIsNotIn,
    // CompoundPredicate
    kAnd,
    kOr,
    kXor,
    kSurrogate,
  };
  Kind kind = Kind::kTrue;
  Op op = Op::kEqual;
  int line = 0;
  int slot = -1;
  Value value;                      // kSimple
  std::vector<Value> set;           // kSet
  std::vector<Predicate> children;  // kCompound
};

struct RegressionTable {
  double intercept = 0;
  int category = -1;  // classification: index into the model's categories
  struct NumericTerm {
    int slot;
    double exponent;
    double coefficient;
  };
  struct CategoricalTerm {
    int slot;
    Value value;
    double coefficient;
  };
  // Terms in the document's order, numeric ones first (as the schema lays them out).
  std::vector<NumericTerm> numeric;
  std::vector<CategoricalTerm> categorical;
};

enum class Normalization : uint8_t {
  kNone,
  kSimplemax,
  kSoftmax,
  kLogit,
  kProbit,
  kCloglog,
  kExp,
  kLoglog,
  kCauchit,
};

struct RegressionBody {
  Normalization normalization = Normalization::kNone;
  std::vector<RegressionTable> tables;
};

struct TreeNode {
  std::string id;
  int line = 0;
  Predicate predicate;
  std::vector<uint32_t> children;  // indices into TreeBody::nodes
  int default_child = -1;          // index into TreeBody::nodes
  bool has_score = false;
  double score = 0;   // regression
  int category = -1;  // classification: the predicted category
  // Classification: one probability per model category (empty: 1 for `category`).
  std::vector<double> probabilities;
};

struct TreeBody {
  enum class Missing : uint8_t { kNone, kLastPrediction, kNullPrediction, kDefaultChild };
  Missing missing = Missing::kNone;
  bool no_true_child_last = false;  // noTrueChildStrategy="returnLastPrediction"
  std::vector<TreeNode> nodes;      // nodes[0] is the root
};

struct Model;

struct Segment {
  std::string id;
  int line = 0;
  Predicate predicate;
  double weight = 1;
  std::unique_ptr<Model> model;
  std::vector<OutputField> outputs;  // modelChain: fields later segments may read
  // Classification: the segment model's category k is the parent's category_map[k].
  std::vector<int> category_map;
};

enum class Combine : uint8_t {
  kSum,
  kWeightedSum,
  kAverage,
  kWeightedAverage,
  kMedian,
  kMax,
  kMajorityVote,
  kWeightedMajorityVote,
  kSelectFirst,
  kModelChain,
};

struct MiningBody {
  Combine combine = Combine::kSum;
  std::vector<Segment> segments;
};

struct Model {
  std::string element;  // "RegressionModel", "TreeModel", "MiningModel"
  std::string name;     // modelName, may be empty
  int line = 0;
  MiningFunction function = MiningFunction::kRegression;
  int target = -1;  // DataField index of the predicted field, or -1
  // Classification: the categories the model predicts, in output order (texts as written in
  // the target DataField, or as first met in the model).
  std::vector<std::string> categories;
  std::vector<FieldTreatment> treatments;
  std::vector<DerivedField> locals;  // LocalTransformations, in an order that computes inputs first
  TargetTransform target_transform;
  std::variant<RegressionBody, TreeBody, MiningBody> body;
};

struct Document {
  std::string path;
  std::string version;                  // the PMML element's version attribute
  std::vector<DataField> fields;        // slot i = fields[i]
  std::vector<DerivedField> globals;    // TransformationDictionary, inputs first
  std::vector<std::string> slot_names;  // for messages: every slot's field name
  std::vector<int> inputs;              // DataField indices of the model's active fields, in order
  Model model;
  size_t memory_bytes = 0;  // an estimate of what the parsed form holds
};

}  // namespace kiln::serve::pmml
